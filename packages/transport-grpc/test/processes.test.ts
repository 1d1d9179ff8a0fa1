// Across real processes: a peer that closes exits by itself, a killed peer's stream is a gap-free prefix, and
// HTTP/2 keepalive notices a frozen peer when heartbeats are far apart.
import type { Mutation } from '@statemesh/contracts';
import { RecordingHost, freePort, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { grpcDialer, grpcListener, type GrpcLinkOptions } from '@statemesh/transport-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildPeer } from './fixtures/child-peer.ts';

const children: ChildPeer[] = [];
const engines: ProtocolTransport[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function child(config: Parameters<typeof ChildPeer.start>[0]): Promise<ChildPeer> {
  const started = await ChildPeer.start(config);
  children.push(started);
  return started;
}

/** The parent node, in this process: serving on loopback unless it dials `seeds`. */
async function parent(options: { seeds?: string[]; heartbeatIntervalMs?: number; link?: GrpcLinkOptions } = {}) {
  const listener = options.seeds === undefined ? grpcListener('127.0.0.1:0', { ...options.link, onError: () => {} }) : undefined;
  const transport = new ProtocolTransport({
    nodeId: 'parent',
    clusterId: 'test',
    listeners: listener === undefined ? [] : [listener],
    dialers: (options.seeds ?? []).map((seed) => grpcDialer(seed, options.link)),
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500,
    reconnect: { initialMs: 20, maxMs: 200 },
    onError: () => {},
  });
  const host = new RecordingHost();
  await transport.start(host);
  engines.push(transport);
  return { transport, host, address: listener?.address ?? '', up: (node: string) => transport.peers().some((p) => p.node === node && p.state === 'up') };
}

const mutation = (seq: number): Mutation => ({ origin: 'parent', seq, hlc: BigInt(seq), path: `scene.item${seq}`, op: 'set', type: 'bytes', payload: new Uint8Array(8) });
const gapFree = (seqs: readonly number[] | undefined, min: number): boolean => seqs !== undefined && seqs.length >= min && seqs.every((seq, i) => seq === i + 1);

describe('across processes', () => {
  it('a peer that closes exits by itself; restarted, it reconnects and delivery resumes', async () => {
    const p = await parent();
    const first = await child({ nodeId: 'kid', seeds: [p.address] });
    await waitFor(() => p.up('kid'), { message: 'kid up' });
    p.transport.publish([mutation(1), mutation(2)]);
    await first.reportUntil((r) => gapFree(r.byOrigin['parent'], 2), 'kid received 2');
    expect(await first.closeAndWaitExit()).toEqual({ code: 0, signal: null });
    await waitFor(() => !p.up('kid') && p.transport.openLinks() === 0, { message: 'kid down, its link gone' });
    const second = await child({ nodeId: 'kid', seeds: [p.address], firstSeq: 1 });
    await waitFor(() => p.up('kid'), { message: 'kid up again' });
    second.send({ type: 'publish', count: 5, batch: 2 });
    await waitFor(() => p.host.mutations('kid').length === 5, { message: 'the restarted kid’s 5 arrived' });
    expect(p.host.mutations('kid').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('SIGKILL mid-stream: the survivor sees it down and has a gap-free prefix', async () => {
    const listen = `127.0.0.1:${await freePort()}`;
    const streamer = await child({ nodeId: 'streamer', listen });
    const p = await parent({ seeds: [listen] });
    await waitFor(() => p.up('streamer'), { message: 'streamer up' });
    streamer.send({ type: 'stream', batch: 50, intervalMs: 5 });
    await waitFor(() => p.host.mutations('streamer').length >= 500, { message: 'stream flowing' });
    await streamer.kill('SIGKILL');
    await waitFor(() => p.host.eventsFor('streamer').some((e) => e.type === 'down'), { message: 'streamer down' });
    expect(gapFree(p.host.mutations('streamer').map((m) => m.seq), 500)).toBe(true);
    expect(p.transport.openLinks()).toBe(0);
  });

  it('keepalive notices a frozen peer even when heartbeats are far apart', async () => {
    // Heartbeats every minute could not notice anything within this test: only HTTP/2 keepalive pings can.
    const keepalive = { timeMs: 200, timeoutMs: 300 };
    const listen = `127.0.0.1:${await freePort()}`;
    const sleeper = await child({ nodeId: 'sleeper', listen, heartbeatIntervalMs: 60_000, keepalive });
    const p = await parent({ seeds: [listen], heartbeatIntervalMs: 60_000, link: { keepalive } });
    await waitFor(() => p.up('sleeper'), { message: 'sleeper up' });
    await sleeper.kill('SIGSTOP');
    try {
      await waitFor(() => p.host.eventsFor('sleeper').some((e) => e.type === 'down'), { message: 'the frozen peer down by keepalive' });
    } finally {
      await sleeper.kill('SIGCONT');
    }
    expect(p.host.eventsFor('sleeper').map((e) => e.type)).not.toContain('suspect');
    await waitFor(() => p.up('sleeper'), { message: 'sleeper back up after SIGCONT' });
  });
});
