import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkEntries, isStatemeshError, type Entry } from '@statemesh/contracts';
import { TestIpcTransport as IpcTransport } from './fixtures/test-transport.ts';
import { TestNodes } from './fixtures/nodes.ts';
import { mutation } from './fixtures/simple-host.ts';
import { encodeFrameBody } from '@statemesh/wire';

let nodes: TestNodes;
beforeEach(() => {
  nodes = new TestNodes();
});
afterEach(async () => {
  await nodes.release();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function digestOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('IpcTransport connections', () => {
  it('delivers batches in order to every peer, honouring to and except', async () => {
    const a = await nodes.start('a');
    const b = await nodes.start('b', { seeds: [a.transport.address()!] });
    const c = await nodes.start('c', { seeds: [a.transport.address()!] });
    await a.host.until(() => a.host.upPeers().length === 2, 10_000, 'b and c up');
    await b.host.until(() => b.host.upPeers().includes('a'));
    await c.host.until(() => c.host.upPeers().includes('a'));
    for (let seq = 1; seq <= 50; seq++) expect(a.transport.publish([mutation('a', seq)])).toBe(2);
    expect(a.transport.publish([mutation('a', 51)], { to: 'b' })).toBe(1);
    expect(a.transport.publish([mutation('a', 52)], { except: 'b' })).toBe(1);
    expect(a.transport.publish([mutation('a', 53)], { to: 'nobody' })).toBe(0);
    expect(a.transport.publish([])).toBe(0);
    await b.host.until(() => b.host.mutations().length === 51);
    await c.host.until(() => c.host.mutations().length === 51);
    expect(b.host.mutations().map((m) => m.seq)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), 51]);
    expect(c.host.mutations().map((m) => m.seq)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), 52]);
    expect(b.host.received.every((r) => r.from === 'a')).toBe(true);
    expect(a.transport.stats().published).toBe(102);
    expect(b.transport.stats().delivered).toBe(51);
  });

  it('keeps ONE logical peer when two nodes list each other as seeds', async () => {
    const pathA = nodes.path('a');
    const pathB = nodes.path('b');
    const [a, b] = await Promise.all([nodes.start('a', { seeds: [pathB] }), nodes.start('b', { seeds: [pathA] })]);
    await a.host.until(() => a.host.upPeers().includes('b'));
    await b.host.until(() => b.host.upPeers().includes('a'));
    // Let any duplicate connection be wound down.
    await a.host.until(() => a.transport.openConnections() === 1 && b.transport.openConnections() === 1, 5_000, 'one socket each');
    expect(a.transport.peers().map((p) => p.node)).toEqual(['b']);
    expect(b.transport.peers().map((p) => p.node)).toEqual(['a']);
    a.transport.publish([mutation('a', 1)]);
    b.transport.publish([mutation('b', 1)]);
    await b.host.until(() => b.host.mutations().length === 1);
    await a.host.until(() => a.host.mutations().length === 1);
    // Still one peer after a while (no redial loop).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.transport.openConnections()).toBe(1);
    expect(a.host.events.filter((e) => e.type === 'down')).toEqual([]);
  });

  it('works over loopback TCP, reporting the real port when listening on port 0', async () => {
    const link = { token: 'a-long-link-token' };
    const a = await nodes.start('a', { listen: 'tcp://127.0.0.1:0', link });
    const address = a.transport.address()!;
    expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(address).not.toBe('tcp://127.0.0.1:0');
    const b = await nodes.start('b', { listen: undefined, seeds: [address], link });
    await b.host.until(() => b.host.upPeers().includes('a'));
    b.transport.publish([mutation('b', 1)]);
    await a.host.until(() => a.host.mutations().length === 1);
    expect(b.transport.peers()).toMatchObject([{ node: 'a', state: 'up', protocolVersion: 1, address }]);
  });

  it('redials a seed with backoff after the peer goes away and comes back at the same address', async () => {
    const a1 = await nodes.start('a');
    const b = await nodes.start('b', { seeds: [a1.transport.address()!] });
    await b.host.until(() => b.host.upPeers().includes('a'));
    await a1.transport.close();
    await b.host.until(() => b.host.upPeers().length === 0, 5_000, 'a down');
    expect(b.host.events.at(-1)).toMatchObject({ type: 'down', peer: 'a' });
    const a2 = await nodes.start('a');
    await b.host.until(() => b.host.upPeers().includes('a'), 10_000, 'a up again');
    b.transport.publish([mutation('b', 7)]);
    await a2.host.until(() => a2.host.mutations().length === 1);
    expect(b.host.events.map((e) => e.type)).toEqual(['up', 'down', 'up']);
  });

  it('refuses a node of another cluster with CLUSTER_MISMATCH on both sides', async () => {
    const a = await nodes.start('a');
    const b = await nodes.start('b', { clusterId: 'other', seeds: [a.transport.address()!] });
    await a.host.until(() => a.errors.length > 0 && b.errors.length > 0, 5_000, 'errors');
    expect(isStatemeshError(a.errors[0], 'CLUSTER_MISMATCH')).toBe(true);
    expect(a.errors[0]!.message).toMatch(/cluster other.*test/);
    expect(isStatemeshError(b.errors[0], 'CLUSTER_MISMATCH')).toBe(true);
    expect(a.transport.peers()).toEqual([]);
    expect(a.host.events).toEqual([]);
  });

  it('closes with VERSION_MISMATCH naming both ranges when no version is common', async () => {
    const a = await nodes.start('a', { protocolVersions: { min: 1, max: 1 } });
    const b = await nodes.start('b', { protocolVersions: { min: 2, max: 3 }, seeds: [a.transport.address()!] });
    await a.host.until(() => a.errors.length > 0 && b.errors.length > 0, 5_000, 'errors');
    expect(isStatemeshError(a.errors[0], 'VERSION_MISMATCH')).toBe(true);
    expect(a.errors[0]!.message).toContain('peer b speaks protocol versions 2-3 and this node 1-1');
    expect(isStatemeshError(b.errors[0], 'VERSION_MISMATCH')).toBe(true);
    expect(b.errors[0]!.message).toContain('peer a speaks protocol versions 1-1 and this node 2-3');
    expect(a.transport.peers()).toEqual([]);
  });

  it('connects a peer announcing a newer version at ours', async () => {
    const a = await nodes.start('a');
    const raw = await nodes.raw(a.transport.address()!);
    raw.hello('future', { min: 1, max: 7 });
    await a.host.until(() => a.host.upPeers().includes('future'));
    expect(a.transport.peers()).toMatchObject([{ node: 'future', protocolVersion: 1 }]);
    expect((await raw.next('hello'))?.maxVersion).toBe(1);
    a.transport.publish([mutation('a', 1)]);
    expect((await raw.next('mutations'))?.mutations[0]?.seq).toBe(1);
  });

  it('skips and counts frames of unknown kinds, then goes on', async () => {
    const a = await nodes.start('a');
    const raw = await nodes.raw(a.transport.address()!);
    raw.hello('p');
    raw.sendKind(99, new Uint8Array([1, 2, 3, 4, 5]));
    raw.sendKind(4242, new Uint8Array(0));
    raw.send({ kind: 'mutations', mutations: [mutation('p', 1)] });
    await a.host.until(() => a.host.mutations().length === 1);
    expect(a.transport.stats().unknownFrames).toBe(2);
    expect(a.transport.stats().badFrames).toBe(0);
    expect(a.transport.peers().map((p) => p.node)).toEqual(['p']);
  });

  it('disconnects and counts a peer sending garbage while the others go on', async () => {
    const a = await nodes.start('a');
    const b = await nodes.start('b', { seeds: [a.transport.address()!] });
    await a.host.until(() => a.host.upPeers().includes('b'));
    const raw = await nodes.raw(a.transport.address()!);
    raw.hello('g');
    await a.host.until(() => a.host.upPeers().includes('g'));
    raw.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: nope\r\n\r\n'));
    await raw.whenClosed();
    await a.host.until(() => !a.host.upPeers().includes('g'), 5_000, 'g down');
    expect(a.transport.stats().badFrames).toBe(1);
    expect(isStatemeshError(a.errors[0], 'BAD_MAGIC')).toBe(true);
    b.transport.publish([mutation('b', 1)]);
    await a.host.until(() => a.host.mutations().length === 1);
    expect(a.transport.peers().map((p) => p.node)).toEqual(['b']);
  });

  it('refuses a compressed batch, which this protocol version never negotiates, keeping the batches before it', async () => {
    const a = await nodes.start('a');
    const raw = await nodes.raw(a.transport.address()!);
    raw.hello('z');
    await a.host.until(() => a.host.upPeers().includes('z'));
    raw.send({ kind: 'mutations', mutations: [mutation('z', 1)] });
    raw.send({ kind: 'mutations', mutations: [], compressed: { codec: 'rle', rawSize: 3, data: new Uint8Array([3, 7]) } });
    await raw.whenClosed();
    expect(a.host.mutations().map((m) => m.seq)).toEqual([1]);
    expect(a.transport.stats().badFrames).toBe(1);
  });

  it('relays a received batch as the bytes it came in, without re-encoding it', async () => {
    const b = await nodes.start('b');
    // b's host republishes every batch it receives to its other peers, as the session does.
    const record = b.host.onMutations.bind(b.host);
    b.host.onMutations = (batch, from) => {
      record(batch, from);
      b.transport.publish(batch, { except: from });
    };
    const y = await nodes.raw(b.transport.address()!);
    const seen: Buffer[] = [];
    y.socket.on('data', (chunk: Buffer) => seen.push(chunk));
    y.hello('y');
    const z = await nodes.raw(b.transport.address()!);
    z.hello('z');
    await b.host.until(() => b.host.upPeers().includes('y') && b.host.upPeers().includes('z'));
    // A body with a field this version does not know (field 15 = 1): decoding drops it, so only the received
    // bytes, forwarded as they are, still carry it.
    const body = Buffer.concat([encodeFrameBody({ kind: 'mutations', mutations: [mutation('z', 1)] }), Buffer.from([15 << 3, 1])]);
    z.sendKind(2, body);
    expect((await y.next('mutations'))?.mutations.map((m) => m.seq)).toEqual([1]);
    expect(Buffer.concat(seen).includes(body)).toBe(true);
  });

  it('closes a connection that sends no Hello in time', async () => {
    const a = await nodes.start('a', { handshakeTimeoutMs: 100, heartbeatIntervalMs: 50 });
    const raw = await nodes.raw(a.transport.address()!);
    await raw.whenClosed();
    expect(a.errors.some((e) => isStatemeshError(e, 'TIMEOUT'))).toBe(true);
    expect(a.transport.openConnections()).toBe(0);
  });

  it('closes a connection whose first frame is not a Hello', async () => {
    const a = await nodes.start('a');
    const raw = await nodes.raw(a.transport.address()!);
    raw.send({ kind: 'mutations', mutations: [mutation('p', 1)] });
    await raw.whenClosed();
    expect(a.host.mutations()).toEqual([]);
    expect(a.transport.stats().badFrames).toBe(1);
  });

  it('marks a silent peer suspect after 3 intervals, then down after 5, and drops it', async () => {
    const a = await nodes.start('a', { heartbeatIntervalMs: 40 });
    const raw = await nodes.raw(a.transport.address()!);
    raw.hello('quiet');
    await a.host.until(() => a.host.upPeers().includes('quiet'));
    await a.host.until(() => a.host.events.some((e) => e.type === 'down'), 5_000, 'down');
    expect(a.host.events.map((e) => e.type)).toEqual(['up', 'suspect', 'down']);
    await raw.whenClosed();
    expect(a.transport.peers()).toEqual([]);
    expect((await raw.next('heartbeat', 0))?.node).toBe('a'); // heartbeats were sent meanwhile
  });

  it('disconnects a peer that stops reading once its backlog passes the high-water mark', async () => {
    const a = await nodes.start('a', { highWaterMarkBytes: 256 * 1024 });
    const raw = await nodes.raw(a.transport.address()!);
    raw.socket.pause(); // never reads again: the kernel buffer fills, then ours
    raw.hello('slow');
    await a.host.until(() => a.host.upPeers().includes('slow'));
    const batch = Array.from({ length: 100 }, (_, i) => mutation('a', i + 1, 1000));
    let sent = 0;
    while (a.transport.stats().slowPeerDisconnects === 0 && sent < 10_000) {
      a.transport.publish(batch);
      sent++;
      if (sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(a.transport.stats().slowPeerDisconnects).toBe(1);
    await a.host.until(() => a.host.events.some((e) => e.type === 'down'), 5_000, 'slow peer down');
    expect(a.errors.some((e) => isStatemeshError(e, 'BACKPRESSURE'))).toBe(true);
    expect(a.transport.publish(batch)).toBe(0); // nothing queued for it any more
  });

  it('reports the backlog and lets a producer wait for a slow reader instead of dropping it', async () => {
    const a = await nodes.start('a', { highWaterMarkBytes: 64 * 1024 * 1024 });
    const raw = await nodes.raw(a.transport.address()!);
    raw.socket.pause();
    raw.hello('reader');
    await a.host.until(() => a.host.upPeers().includes('reader'));
    const batch = Array.from({ length: 100 }, (_, i) => mutation('a', i + 1, 1000));
    for (let i = 0; i < 100; i++) a.transport.publish(batch); // about 10 MB: more than the kernel buffers hold
    expect(a.transport.backlogBytes('reader')).toBeGreaterThan(0);
    expect(a.transport.backlogBytes()).toBe(a.transport.backlogBytes('reader'));
    let drained = false;
    const waiting = a.transport.whenBacklogBelow(0).then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false); // nobody reads yet
    raw.socket.resume();
    await waiting;
    expect(a.transport.backlogBytes('reader')).toBe(0);
    expect(a.transport.stats().slowPeerDisconnects).toBe(0);
  });

  it('splits a batch bigger than maxFrameBytes; refuses a single mutation that cannot fit', async () => {
    const a = await nodes.start('a', { maxFrameBytes: 4096 });
    const b = await nodes.start('b', { maxFrameBytes: 4096, seeds: [a.transport.address()!] });
    await a.host.until(() => a.host.upPeers().includes('b'));
    const batch = Array.from({ length: 40 }, (_, i) => mutation('a', i + 1, 500));
    a.transport.publish(batch);
    await b.host.until(() => b.host.mutations().length === 40);
    expect(b.host.received.length).toBeGreaterThan(1);
    expect(b.host.mutations().map((m) => m.seq)).toEqual(batch.map((m) => m.seq));
    expect(b.transport.stats().badFrames).toBe(0);
    let caught: unknown;
    try {
      a.transport.publish([mutation('a', 99, 10_000)]);
    } catch (error) {
      caught = error;
    }
    expect(isStatemeshError(caught, 'FRAME_TOO_LARGE')).toBe(true);
  });
});

describe('IpcTransport chunk fetch and snapshots', () => {
  it('fetches a chunk from the peer that holds it, asking peers in turn', async () => {
    const data = new TextEncoder().encode('brick 0,0,0');
    const digest = digestOf(data);
    const a = await nodes.start('a');
    const b = await nodes.start('b', { seeds: [a.transport.address()!] });
    const c = await nodes.start('c', { seeds: [a.transport.address()!] });
    c.host.chunks.set(digest, data);
    await a.host.until(() => a.host.upPeers().length === 2);
    expect(await a.transport.fetchChunk(digest)).toEqual(data);
    expect(await a.transport.fetchChunk(digest, { peer: 'c' })).toEqual(data);
    expect(isStatemeshError(await rejection(a.transport.fetchChunk(digest, { peer: 'b' })), 'CHUNK_NOT_FOUND')).toBe(true);
    expect(isStatemeshError(await rejection(a.transport.fetchChunk(digestOf(new Uint8Array(1)))), 'CHUNK_NOT_FOUND')).toBe(true);
    expect(isStatemeshError(await rejection(a.transport.fetchChunk(digest, { peer: 'nobody' })), 'NO_PEERS')).toBe(true);
    expect(isStatemeshError(await rejection(a.transport.fetchChunk('not-a-digest')), 'INVALID_ARGUMENT')).toBe(true);
    void b;
  });

  it('fails with NO_PEERS alone, TIMEOUT when nobody answers, CANCELLED on abort', async () => {
    const digest = digestOf(new Uint8Array([7]));
    const a = await nodes.start('a');
    expect(isStatemeshError(await rejection(a.transport.fetchChunk(digest)), 'NO_PEERS')).toBe(true);
    const raw = await nodes.raw(a.transport.address()!);
    raw.hello('mute');
    await a.host.until(() => a.host.upPeers().includes('mute'));
    const timeout = await rejection(a.transport.fetchChunk(digest, { timeoutMs: 100 }));
    expect(isStatemeshError(timeout, 'TIMEOUT')).toBe(true);
    expect((await raw.next('chunk-request'))?.digest).toBe(digest);
    const controller = new AbortController();
    const pending = a.transport.fetchChunk(digest, { signal: controller.signal });
    controller.abort();
    expect(isStatemeshError(await rejection(pending), 'CANCELLED')).toBe(true);
  });

  it('moves on when the peer being asked disconnects', async () => {
    const digest = digestOf(new Uint8Array([8]));
    const a = await nodes.start('a');
    const raw = await nodes.raw(a.transport.address()!);
    raw.hello('flaky');
    await a.host.until(() => a.host.upPeers().includes('flaky'));
    const pending = rejection(a.transport.fetchChunk(digest));
    await raw.next('chunk-request');
    raw.socket.destroy();
    expect(isStatemeshError(await pending, 'NO_PEERS')).toBe(true);
  });

  it('answers a snapshot request in pages, the last one carrying the vector', async () => {
    const a = await nodes.start('a');
    const b = await nodes.start('b', { seeds: [a.transport.address()!] });
    const entries: Entry[] = Array.from({ length: 250 }, (_, i) => ({
      path: i % 2 === 0 ? `scene.n${i}` : `other.n${i}`,
      version: { hlc: BigInt(i + 1) << 16n, origin: 'a', seq: i + 1 },
      tombstone: false,
      type: 'json',
      payload: new TextEncoder().encode(String(i)),
    }));
    a.host.entries = checkEntries(entries);
    a.host.vector = { a: 250 };
    await b.host.until(() => b.host.upPeers().includes('a'));
    const pages = [];
    for await (const page of b.transport.requestSnapshot('a', { prefixes: [], pageSize: 100 })) pages.push(page);
    expect(pages.map((p) => p.entries.length)).toEqual([100, 100, 50]);
    expect(pages.map((p) => p.last)).toEqual([false, false, true]);
    expect(pages[2]!.vector).toEqual({ a: 250 });
    expect(pages.flatMap((p) => p.entries)).toEqual(entries);
    const scene = [];
    for await (const page of b.transport.requestSnapshot('a', { prefixes: ['scene'] })) scene.push(...page.entries);
    expect(scene).toHaveLength(125);
    const empty = [];
    for await (const page of b.transport.requestSnapshot('a', { prefixes: ['none'] })) empty.push(page);
    expect(empty).toMatchObject([{ entries: [], last: true }]);
    let caught: unknown;
    try {
      for await (const page of b.transport.requestSnapshot('zed', { prefixes: [] })) void page;
    } catch (error) {
      caught = error;
    }
    expect(isStatemeshError(caught, 'PEER_UNAVAILABLE')).toBe(true);
  });
});

describe('IpcTransport socket files and close', () => {
  it('refuses to steal a socket somebody listens on, and a path that is not a socket', async () => {
    const path = nodes.path('live');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const live = new IpcTransport({ nodeId: 'a', clusterId: 'test', listen: path });
      const error = await rejection(live.start(new (await import('./fixtures/simple-host.ts')).SimpleHost()));
      expect(isStatemeshError(error, 'INVALID_CONFIG')).toBe(true);
      expect((error as Error).message).toContain('another process is listening');
      expect(existsSync(path)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const file = nodes.path('plain');
    writeFileSync(file, 'precious');
    const error = await rejection(nodes.start('b', { listen: file }));
    expect(isStatemeshError(error, 'INVALID_CONFIG')).toBe(true);
    expect(existsSync(file)).toBe(true);
  });

  it('close() removes its socket file, reports peers down, and is idempotent; later calls fail with CLOSED', async () => {
    const a = await nodes.start('a');
    const b = await nodes.start('b', { seeds: [a.transport.address()!] });
    await a.host.until(() => a.host.upPeers().includes('b'));
    const path = nodes.path('a');
    expect(existsSync(path)).toBe(true);
    await Promise.all([a.transport.close(), a.transport.close()]);
    expect(existsSync(path)).toBe(false);
    expect(a.transport.peers()).toEqual([]);
    expect(a.transport.openConnections()).toBe(0);
    expect(a.host.events.at(-1)).toMatchObject({ type: 'down', peer: 'b' });
    expect(a.transport.publish([mutation('a', 1)])).toBe(0);
    expect(isStatemeshError(await rejection(a.transport.fetchChunk(digestOf(new Uint8Array(0)))), 'CLOSED')).toBe(true);
    await b.host.until(() => b.host.upPeers().length === 0, 5_000, 'b sees a down');
    expect(b.host.events.at(-1)).toMatchObject({ type: 'down', peer: 'a' });
  });

  it('validates its options', () => {
    const expectCode = (code: string, build: () => unknown): void => {
      let caught: unknown;
      try {
        build();
      } catch (error) {
        caught = error;
      }
      expect((caught as { code?: string } | undefined)?.code).toBe(code);
    };
    expectCode('INVALID_ID', () => new IpcTransport({ nodeId: 'a b', clusterId: 'c' }));
    expectCode('INVALID_ID', () => new IpcTransport({ nodeId: 'a', clusterId: '' }));
    expectCode('INVALID_CONFIG', () => new IpcTransport({ nodeId: 'a', clusterId: 'c', reconnect: { initialMs: 500, maxMs: 100 } }));
    expectCode('INVALID_CONFIG', () => new IpcTransport({ nodeId: 'a', clusterId: 'c', heartbeatIntervalMs: 0 }));
    expectCode('INVALID_CONFIG', () => new IpcTransport({ nodeId: 'a', clusterId: 'c', seeds: ['tcp://192.168.1.2:7000'] }));
    expectCode('INVALID_CONFIG', () => new IpcTransport({ nodeId: 'a', clusterId: 'c', protocolVersions: { min: 2, max: 1 } }));
  });

  it('rejects requests before start() with NOT_STARTED', async () => {
    const transport = new IpcTransport({ nodeId: 'a', clusterId: 'c' });
    expect(isStatemeshError(await rejection(transport.fetchChunk(digestOf(new Uint8Array(0)))), 'NOT_STARTED')).toBe(true);
    expect(transport.publish([mutation('a', 1)])).toBe(0);
    expect(transport.peers()).toEqual([]);
  });
});
