// Resilience across real processes: a peer stopped and restarted, killed mid-stream, frozen; connection counts.
import { waitFor } from '@statemesh/contracts/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildPeer } from './fixtures/child-peer.ts';
import { freePort } from './fixtures/grpc-harness.ts';
import { TestNodes, isUp, mutation } from './fixtures/nodes.ts';

const nodes = new TestNodes();
const children: ChildPeer[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await nodes.release();
});

async function child(config: Parameters<typeof ChildPeer.start>[0]): Promise<ChildPeer> {
  const started = await ChildPeer.start(config);
  children.push(started);
  return started;
}

/** True when `seqs` is exactly 1..n for some n >= min. */
function gapFree(seqs: readonly number[] | undefined, min: number): boolean {
  return seqs !== undefined && seqs.length >= min && seqs.every((seq, i) => seq === i + 1);
}

describe('across processes', () => {
  it('a peer that closes exits by itself; restarted, it reconnects and delivery resumes with one stream each', async () => {
    const parent = await nodes.start('parent');
    const address = parent.transport.address()!;
    const first = await child({ nodeId: 'kid', seeds: [address] });
    await waitFor(() => isUp(parent, 'kid'), { message: 'kid up' });
    parent.transport.publish([mutation('parent', 1), mutation('parent', 2)]);
    await first.reportUntil((r) => gapFree(r.byOrigin.parent, 2), 'kid received 2');
    expect(await first.closeAndWaitExit()).toEqual({ code: 0, signal: null });
    await waitFor(() => !isUp(parent, 'kid') && parent.transport.openConnections() === 0, { message: 'kid down, stream gone' });

    const second = await child({ nodeId: 'kid', seeds: [address], firstSeq: 1 });
    await waitFor(() => parent.host.eventsFor('kid').filter((e) => e.type === 'up').length === 2, { message: 'kid up again' });
    parent.transport.publish([mutation('parent', 3)]);
    second.send({ type: 'publish', count: 5, batch: 2 });
    const report = await second.reportUntil((r) => r.byOrigin.parent?.includes(3) === true && r.openConnections === 1, 'restarted kid received 3');
    expect(report.peers).toEqual(['parent']);
    await waitFor(() => parent.host.mutations('kid').length === 5, { message: 'parent received the restarted kid’s 5' });
    expect(parent.host.mutations('kid').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(parent.transport.openConnections()).toBe(1);
  });

  it('SIGKILL mid-stream: the survivor sees it down, receives a gap-free prefix, and redials the restarted peer', async () => {
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    const parent = await nodes.start('parent', { listen: undefined, seeds: [listen] });
    const first = await child({ nodeId: 'streamer', listen });
    await waitFor(() => isUp(parent, 'streamer'), { message: 'streamer up' });
    first.send({ type: 'stream', batch: 50, intervalMs: 5 });
    await waitFor(() => parent.host.mutations('streamer').length >= 500, { message: 'stream flowing' });
    await first.kill('SIGKILL');
    await waitFor(() => parent.host.eventsFor('streamer').some((e) => e.type === 'down'), { message: 'streamer down' });
    const got = parent.host.mutations('streamer').map((m) => m.seq);
    expect(gapFree(got, 500)).toBe(true);
    expect(parent.transport.openConnections()).toBe(0);

    const second = await child({ nodeId: 'streamer', listen, firstSeq: got.length + 1 });
    await waitFor(() => isUp(parent, 'streamer') && parent.transport.openConnections() === 1, { message: 'redialled' });
    second.send({ type: 'publish', count: 100, batch: 10 });
    await waitFor(() => parent.host.mutations('streamer').length === got.length + 100, { message: 'delivery after restart' });
    expect(gapFree(parent.host.mutations('streamer').map((m) => m.seq), got.length + 100)).toBe(true);
    const report = await second.reportUntil((r) => r.peers.includes('parent'), 'restarted streamer sees parent');
    expect(report.openConnections).toBe(1);
  });

  it('a frozen peer (SIGSTOP) becomes suspect, then down; thawed, it comes back', async () => {
    // 250 ms: the 500 ms between suspect (3 intervals) and dead (5) is wider than a loaded machine's stalls.
    const parent = await nodes.start('parent', { heartbeatIntervalMs: 250 });
    const frozen = await child({ nodeId: 'frozen', seeds: [parent.transport.address()!], heartbeatIntervalMs: 250 });
    await waitFor(() => isUp(parent, 'frozen'), { message: 'frozen up' });
    await frozen.kill('SIGSTOP');
    try {
      await waitFor(() => parent.host.eventsFor('frozen').some((e) => e.type === 'down'), { message: 'frozen down' });
    } finally {
      await frozen.kill('SIGCONT');
    }
    const types = parent.host.eventsFor('frozen').map((e) => e.type);
    expect(types[0]).toBe('up');
    expect(types.lastIndexOf('suspect', types.indexOf('down'))).toBeGreaterThan(0);
    await waitFor(() => isUp(parent, 'frozen'), { message: 'frozen back up after SIGCONT' });
    await frozen.reportUntil((r) => r.peers.includes('parent') && r.openConnections === 1, 'thawed peer reconnected');
    expect(parent.transport.openConnections()).toBe(1);
  });

  it('keepalive notices a frozen peer even when heartbeats are far apart', async () => {
    // Heartbeats every minute could not notice anything within this test: only HTTP/2 keepalive pings can.
    const keepalive = { timeMs: 200, timeoutMs: 300 };
    const server = await child({ nodeId: 'sleeper', listen: `127.0.0.1:${await freePort()}`, heartbeatIntervalMs: 60_000, keepalive });
    const address = server.messages.find((m) => m.type === 'started')!['address'] as string;
    const parent = await nodes.start('parent', { listen: undefined, seeds: [address], heartbeatIntervalMs: 60_000, keepalive });
    await waitFor(() => isUp(parent, 'sleeper'), { message: 'sleeper up' });
    await server.kill('SIGSTOP');
    try {
      await waitFor(() => parent.host.eventsFor('sleeper').some((e) => e.type === 'down'), { message: 'the frozen peer down by keepalive' });
    } finally {
      await server.kill('SIGCONT');
    }
    expect(parent.host.eventsFor('sleeper').map((e) => e.type)).not.toContain('suspect');
    await waitFor(() => isUp(parent, 'sleeper'), { message: 'sleeper back up after SIGCONT' });
  });
});
