import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import type { Mutation, SnapshotPage } from '@statemesh/contracts';
import { RecordingHost } from '@statemesh/contracts/testing';
import { MemoryNetwork, VirtualScheduler } from '@statemesh/transport-memory';

function mutation(seq: number): Mutation {
  return { origin: 'a', seq, hlc: 2n ** 62n + BigInt(seq), path: `s.k${seq}`, op: 'set', type: 'bytes', payload: new Uint8Array([1, 2, 3]) };
}

async function pair(options: { scheduler?: VirtualScheduler; hostB?: RecordingHost } = {}) {
  const scheduler = options.scheduler ?? new VirtualScheduler();
  const network = new MemoryNetwork({ scheduler, log: () => {} });
  const a = network.createTransport({ nodeId: 'a', clusterId: 'k' });
  const b = network.createTransport({ nodeId: 'b', clusterId: 'k', seeds: ['a'] });
  const c = network.createTransport({ nodeId: 'c', clusterId: 'k', seeds: ['a'] });
  const hostA = new RecordingHost();
  const hostB = options.hostB ?? new RecordingHost();
  const hostC = new RecordingHost();
  await a.start(hostA);
  await b.start(hostB);
  await c.start(hostC);
  await scheduler.advance(1);
  return { scheduler, network, a, b, c, hostA, hostB, hostC };
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isStatemeshError(error) ? error.code : String(error);
  }
  return 'resolved';
}

describe('MemoryTransport', () => {
  it('delivers asynchronously: nothing arrives during publish', async () => {
    const { scheduler, a, hostB } = await pair();
    expect(a.publish([mutation(1)])).toBe(2);
    expect(hostB.batches).toEqual([]);
    await scheduler.advance(0);
    expect(hostB.mutations().map((m) => m.seq)).toEqual([1]);
  });

  it('never shares objects between sender and receivers', async () => {
    const { scheduler, a, hostB, hostC } = await pair();
    const batch = [mutation(1)];
    a.publish(batch);
    (batch[0]!.payload as Uint8Array)[0] = 99; // the sender reuses its buffer at once
    await scheduler.advance(0);
    const atB = hostB.mutations()[0]!;
    const atC = hostC.mutations()[0]!;
    expect(Array.from(atB.payload as Uint8Array)).toEqual([1, 2, 3]);
    expect(atB).not.toBe(atC);
    (atB.payload as Uint8Array)[1] = 42;
    expect(Array.from(atC.payload as Uint8Array)).toEqual([1, 2, 3]);
    expect(atB.hlc).toBe(2n ** 62n + 1n);
  });

  it('counts frames, mutations and bytes', async () => {
    const { scheduler, a, b } = await pair();
    a.publish([mutation(1), mutation(2)], { to: 'b' });
    await scheduler.advance(0);
    expect(a.stats().published).toBe(2);
    expect(b.stats().delivered).toBe(2);
    expect(a.stats().framesSent).toBeGreaterThan(0);
    expect(b.stats().bytesReceived).toBeGreaterThan(6);
  });

  it('lists peers with address and protocol version', async () => {
    const { a } = await pair();
    expect(a.peers().map((p) => [p.node, p.state, p.address, p.protocolVersion])).toEqual([
      ['b', 'up', 'memory:b', 1],
      ['c', 'up', 'memory:c', 1],
    ]);
  });

  it('a snapshot whose host fails rejects with PEER_UNAVAILABLE', async () => {
    const failing = new RecordingHost();
    // oxlint-disable-next-line require-yield
    failing.snapshot = async function* (): AsyncGenerator<SnapshotPage> {
      throw new Error('disk on fire');
    };
    const { scheduler, a } = await pair({ hostB: failing });
    const pages = a.requestSnapshot('b', { prefixes: [] })[Symbol.asyncIterator]();
    const outcome = rejection(pages.next());
    await scheduler.advance(1);
    expect(await outcome).toBe('PEER_UNAVAILABLE');
  });

  it('a snapshot from a peer that is not up rejects with PEER_UNAVAILABLE', async () => {
    const { a } = await pair();
    const pages = a.requestSnapshot('nobody', { prefixes: [] })[Symbol.asyncIterator]();
    expect(await rejection(pages.next())).toBe('PEER_UNAVAILABLE');
  });

  it('a snapshot in progress fails when its peer goes down', async () => {
    const { scheduler, a, b } = await pair();
    const pages = a.requestSnapshot('b', { prefixes: [] })[Symbol.asyncIterator]();
    const outcome = pages.next().then(
      () => 'page',
      (error: unknown) => (isStatemeshError(error) ? error.code : 'other'),
    );
    await b.close();
    await scheduler.advance(1);
    // Either the page was already on its way, or the request fails; it never hangs.
    expect(['page', 'PEER_UNAVAILABLE']).toContain(await outcome);
  });

  it('fetchChunk: a named peer that is not up is PEER_UNAVAILABLE; an aborted fetch is CANCELLED', async () => {
    const { scheduler, a, hostB } = await pair();
    expect(await rejection(a.fetchChunk('0'.repeat(64), { peer: 'nobody' }))).toBe('PEER_UNAVAILABLE');
    hostB.stallChunk('1'.repeat(64));
    const controller = new AbortController();
    const outcome = rejection(a.fetchChunk('1'.repeat(64), { peer: 'b', signal: controller.signal }));
    await scheduler.advance(5);
    controller.abort();
    expect(await outcome).toBe('CANCELLED');
    expect(await rejection(a.fetchChunk('1'.repeat(64), { timeoutMs: 0 }))).toBe('INVALID_ARGUMENT');
  });

  it('fetchChunk times out on virtual time', async () => {
    const { scheduler, a, hostB, hostC } = await pair();
    hostB.stallChunk('1'.repeat(64));
    hostC.stallChunk('1'.repeat(64));
    let settled = false;
    const outcome = rejection(a.fetchChunk('1'.repeat(64), { timeoutMs: 5000 })).finally(() => (settled = true));
    await scheduler.advance(4999);
    expect(settled).toBe(false);
    await scheduler.advance(1);
    expect(await outcome).toBe('TIMEOUT');
  });

  it('close fails what waits with CLOSED and frees the node id', async () => {
    const { scheduler, network, a, hostB } = await pair();
    hostB.stallChunk('1'.repeat(64));
    const outcome = rejection(a.fetchChunk('1'.repeat(64), { peer: 'b' }));
    await scheduler.advance(1);
    await a.close();
    expect(await outcome).toBe('CLOSED');
    expect(await rejection(a.start(new RecordingHost()))).toBe('CLOSED');
    expect(await rejection(a.fetchChunk('1'.repeat(64)))).toBe('CLOSED');
    expect(() => network.createTransport({ nodeId: 'a', clusterId: 'k' })).not.toThrow();
  });

  it('validates ids and options', async () => {
    const network = new MemoryNetwork();
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'no error';
      } catch (error) {
        return isStatemeshError(error) ? error.code : String(error);
      }
    };
    expect(code(() => network.createTransport({ nodeId: 'no spaces', clusterId: 'k' }))).toBe('INVALID_ID');
    expect(code(() => network.createTransport({ nodeId: 'a', clusterId: '' }))).toBe('INVALID_ID');
    expect(code(() => network.createTransport({ nodeId: 'a', clusterId: 'k', seeds: ['b/c'] }))).toBe('INVALID_ID');
    expect(code(() => network.createTransport({ nodeId: 'a', clusterId: 'k', heartbeatIntervalMs: 0 }))).toBe(
      'INVALID_CONFIG',
    );
    const a = network.createTransport({ nodeId: 'a', clusterId: 'k' });
    expect(code(() => network.createTransport({ nodeId: 'a', clusterId: 'k' }))).toBe('INVALID_ARGUMENT');
    await a.start(new RecordingHost());
    expect(await rejection(a.start(new RecordingHost()))).toBe('INVALID_ARGUMENT');
    await a.close();
  });

  it('a refused peer is logged once and retried with backoff, never up', async () => {
    const lines: string[] = [];
    const scheduler = new VirtualScheduler();
    const network = new MemoryNetwork({ scheduler, log: (line) => lines.push(line) });
    const a = network.createTransport({ nodeId: 'a', clusterId: 'one' });
    const x = network.createTransport({ nodeId: 'x', clusterId: 'two', seeds: ['a'] });
    const hostA = new RecordingHost();
    await a.start(hostA);
    await x.start(new RecordingHost());
    await scheduler.advance(5000);
    expect(hostA.events).toEqual([]);
    expect(lines.filter((line) => line.includes('cluster mismatch'))).toHaveLength(2); // once on each side
    expect(lines[0]).toMatch(/^@statemesh\/transport-memory: /);
    await Promise.all([a.close(), x.close()]);
  });
});

describe('VirtualScheduler', () => {
  it('runs timers in time order, then creation order, only when advanced', async () => {
    const scheduler = new VirtualScheduler(1000);
    const ran: string[] = [];
    scheduler.setTimeout(() => ran.push('b@20'), 20);
    scheduler.setTimeout(() => ran.push('a@10'), 10);
    scheduler.setTimeout(() => ran.push('c@20'), 20);
    const cancelled = scheduler.setTimeout(() => ran.push('cancelled'), 15);
    scheduler.clearTimeout(cancelled);
    expect(scheduler.pending).toBe(3);
    await scheduler.advance(19);
    expect(ran).toEqual(['a@10']);
    expect(scheduler.now()).toBe(1019);
    await scheduler.advance(1);
    expect(ran).toEqual(['a@10', 'b@20', 'c@20']);
    expect(scheduler.pending).toBe(0);
  });

  it('lets promise callbacks a timer started finish at that instant', async () => {
    const scheduler = new VirtualScheduler();
    const seen: number[] = [];
    scheduler.setTimeout(() => {
      void Promise.resolve().then(() => scheduler.setTimeout(() => seen.push(scheduler.now()), 5));
    }, 10);
    await scheduler.advance(15);
    expect(seen).toEqual([15]);
  });
});
