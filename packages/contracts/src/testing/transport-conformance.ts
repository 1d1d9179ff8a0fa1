// Over ~400 lines: a list of independent conformance checks, each a few lines; grouped by `describe`, they read as
// the suite's table of contents. The engine-level checks are in their own file.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError } from '../error.js';
import { checkEntry, checkMutation, checkMutations, type CheckedEntry, type CheckedMutation } from '../checked-mutation.js';
import type { Entry, Mutation, Payload } from '../mutation.js';
import type { PeerEvent, SnapshotPage, Transport } from '../transport.js';
import { runEngineConformance } from './engine-conformance.js';
import { RecordingHost } from './recording-host.js';
import type { RecordingHostOptions } from './recording-host.js';
import type { TransportHarness } from './transport-harness.js';
import { waitFor } from './wait-for.js';

// Design notes (why the suite is not flaky):
// - Nothing is asserted after a fixed sleep. Every test waits (bounded, 10 s) for what it expects; absence is
//   proven by ordering: a marker published after the batch that must not arrive, which arrives in order.
// - Each test uses fresh node ids, so a late frame from an earlier test cannot reach it; every transport a test
//   made is closed after it, whatever happened.
// - Liveness tests use intervals of 100 ms or more and assert states, never durations.

const CLUSTER = 'conformance';
const WAIT_MS = 10_000;
const BIG_HLC = 2n ** 60n + 12_345n; // above 2^53: must travel exactly

/** A node of a test: its transport and the host it reports to. */
interface TestNode {
  readonly id: string;
  readonly transport: Transport;
  readonly host: RecordingHost;
}

/** What `node()` accepts. */
interface NodeOptions {
  readonly seeds?: readonly TestNode[] | readonly string[];
  readonly clusterId?: string;
  readonly heartbeatIntervalMs?: number;
  readonly host?: RecordingHostOptions;
}

function digestOf(fill: string): string {
  return fill.repeat(64).slice(0, 64);
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A set mutation of `origin` with sequence `seq`. */
function mutation(origin: string, seq: number, path = `scene.item${seq}`): CheckedMutation {
  return checkMutation({ origin, seq, hlc: BIG_HLC + BigInt(seq), path, op: 'set', type: 'json', payload: bytes(`{"v":${seq}}`) });
}

/** A batch that exercises every field a mutation can carry. */
function richBatch(origin: string): CheckedMutation[] {
  return checkMutations([
    mutation(origin, 1),
    {
      origin,
      seq: 2,
      hlc: BIG_HLC + 2n,
      path: 'volumes.brick-0',
      op: 'set',
      type: 'volume/f32',
      payload: { digest: digestOf('ab'), size: 1 << 20, codec: 'zstd' },
      prev: { origin: 'other', seq: 9, hlc: BIG_HLC - 1n },
    },
    { origin, seq: 3, hlc: BIG_HLC + 3n, path: 'scene.old', op: 'delete', type: '' },
    { origin, seq: 4, hlc: BIG_HLC + 4n, path: 'scene.empty', op: 'set', type: 'bytes', payload: new Uint8Array(0) },
  ]);
}

function plainPayload(payload: Payload | undefined): unknown {
  if (payload === undefined) return undefined;
  if (ArrayBuffer.isView(payload)) return Array.from(payload as Uint8Array);
  return { digest: payload.digest, size: payload.size, codec: payload.codec };
}

/** A mutation as plain data, so that a Buffer and a Uint8Array of the same bytes compare equal. */
function plainMutation(m: Mutation): unknown {
  return {
    origin: m.origin,
    seq: m.seq,
    hlc: m.hlc,
    path: m.path,
    op: m.op,
    type: m.type,
    payload: plainPayload(m.payload),
    prev: m.prev === undefined ? undefined : { origin: m.prev.origin, seq: m.prev.seq, hlc: m.prev.hlc },
  };
}

function plainEntry(e: Entry): unknown {
  return {
    path: e.path,
    version: { origin: e.version.origin, seq: e.version.seq, hlc: e.version.hlc },
    tombstone: e.tombstone,
    type: e.type,
    payload: plainPayload(e.payload),
  };
}

function isUp(transport: Transport, peer: string): boolean {
  return transport.peers().some((info) => info.node === peer && info.state === 'up');
}

function hasEvent(host: RecordingHost, peer: string, type: PeerEvent['type'], count = 1): boolean {
  return host.eventsFor(peer).filter((event) => event.type === type).length >= count;
}

/** Counts of the resources keeping the event loop alive, by type (`Timeout`, `PipeWrap`, `TCPWRAP`...). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Resource types of which more are active now than in `before`. */
function leakedSince(before: Map<string, number>): string[] {
  const leaked: string[] = [];
  for (const [type, count] of activeResources()) {
    const was = before.get(type) ?? 0;
    if (count > was) leaked.push(`${type} (${was} before, ${count} after)`);
  }
  return leaked;
}

async function collect(pages: AsyncIterable<SnapshotPage>): Promise<SnapshotPage[]> {
  const out: SnapshotPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject; it resolved');
}

function errorCode(error: unknown): string {
  return isStatemeshError(error) ? error.code : `not a StatemeshError: ${String(error)}`;
}

/**
 * Declares the vitest tests every `Transport` must pass: delivery to every up peer (`to`, `except`), order per
 * sender, peer up (with the peer's Hello) and down, restart and reconnect, chunk fetch (found, not found,
 * timeout, named peer, no peers), snapshot paging, heartbeats and suspect/down, unknown frame kinds, cluster
 * ids, and `close()` releasing every resource. Call it at the top level of a test file.
 */
export function runTransportConformance(harness: TransportHarness): void {
  describe(`transport conformance: ${harness.name}`, () => {
    let live: Transport[] = [];
    let counter = 0;
    const fresh = (name: string): string => `${name}${++counter}`;

    afterEach(async () => {
      const opened = live;
      live = [];
      await Promise.allSettled(opened.map((transport) => transport.close()));
    });
    afterAll(async () => {
      await harness.cleanup?.();
    });

    async function node(id: string, options: NodeOptions = {}): Promise<TestNode> {
      const seeds = (options.seeds ?? []).map((seed) => (typeof seed === 'string' ? seed : seed.id));
      const transport = await harness.create(id, {
        clusterId: options.clusterId ?? CLUSTER,
        seeds,
        ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      });
      live.push(transport);
      const host = new RecordingHost(options.host);
      await transport.start(host);
      return { id, transport, host };
    }

    /** Waits until `a` and `b` see each other up, both in `peers()` and in their hosts' events. */
    async function linked(a: TestNode, b: TestNode): Promise<void> {
      await waitFor(
        () =>
          isUp(a.transport, b.id) &&
          isUp(b.transport, a.id) &&
          a.host.upPeers().includes(b.id) &&
          b.host.upPeers().includes(a.id),
        { timeoutMs: WAIT_MS, message: `${a.id} and ${b.id} to see each other up` },
      );
    }

    /** Three nodes in a full mesh: b seeds a; c seeds a and b. */
    async function mesh(hosts: [RecordingHostOptions?, RecordingHostOptions?, RecordingHostOptions?] = []) {
      const a = await node(fresh('a'), hosts[0] === undefined ? {} : { host: hosts[0] });
      const b = await node(fresh('b'), { seeds: [a], ...(hosts[1] === undefined ? {} : { host: hosts[1] }) });
      const c = await node(fresh('c'), { seeds: [a, b], ...(hosts[2] === undefined ? {} : { host: hosts[2] }) });
      await linked(a, b);
      await linked(a, c);
      await linked(b, c);
      return [a, b, c] as const;
    }

    async function received(to: TestNode, from: TestNode, count: number): Promise<void> {
      await waitFor(() => to.host.mutations(from.id).length >= count, {
        timeoutMs: WAIT_MS,
        message: `${to.id} to receive ${count} mutations from ${from.id}`,
      });
    }

    describe('delivery', () => {
      it('delivers a published batch to every up peer, every field intact', async () => {
        const [a, b, c] = await mesh();
        const batch = richBatch(a.id);
        expect(a.transport.publish(batch)).toBe(2);
        await received(b, a, batch.length);
        await received(c, a, batch.length);
        for (const peer of [b, c]) {
          expect(peer.host.batches.every((r) => r.from === a.id)).toBe(true);
          expect(peer.host.mutations(a.id).map(plainMutation)).toEqual(batch.map(plainMutation));
        }
        expect(a.host.batches).toEqual([]);
      });

      it('publish with `to` reaches only that peer', async () => {
        const [a, b, c] = await mesh();
        expect(a.transport.publish([mutation(a.id, 1)], { to: b.id })).toBe(1);
        await received(b, a, 1);
        // A marker to everyone, published after: once c has it, c would already have had the first batch.
        expect(a.transport.publish([mutation(a.id, 2)])).toBe(2);
        await received(c, a, 1);
        await received(b, a, 2);
        expect(c.host.mutations(a.id).map((m) => m.seq)).toEqual([2]);
        expect(b.host.mutations(a.id).map((m) => m.seq)).toEqual([1, 2]);
      });

      it('publish with `except` skips that peer', async () => {
        const [a, b, c] = await mesh();
        expect(a.transport.publish([mutation(a.id, 1)], { except: b.id })).toBe(1);
        expect(a.transport.publish([mutation(a.id, 2)])).toBe(2);
        await received(c, a, 2);
        await received(b, a, 1);
        expect(b.host.mutations(a.id).map((m) => m.seq)).toEqual([2]);
        expect(c.host.mutations(a.id).map((m) => m.seq)).toEqual([1, 2]);
      });

      it('keeps the order of each sender, with several senders at once', async () => {
        const [a, b, c] = await mesh();
        const batches = 200;
        let seqA = 0;
        let seqC = 0;
        for (let i = 0; i < batches; i++) {
          const sizeA = 1 + (i % 3);
          a.transport.publish(Array.from({ length: sizeA }, () => mutation(a.id, ++seqA)), { to: b.id });
          c.transport.publish([mutation(c.id, ++seqC)], { to: b.id });
        }
        await received(b, a, seqA);
        await received(b, c, seqC);
        expect(b.host.mutations(a.id).map((m) => m.seq)).toEqual(Array.from({ length: seqA }, (_, i) => i + 1));
        expect(b.host.mutations(c.id).map((m) => m.seq)).toEqual(Array.from({ length: seqC }, (_, i) => i + 1));
      });

      it('publish with no peer up returns 0', async () => {
        const a = await node(fresh('a'));
        expect(a.transport.publish([mutation(a.id, 1)])).toBe(0);
        expect(a.transport.peers().filter((p) => p.state === 'up')).toEqual([]);
      });
    });

    describe('peers', () => {
      it('reports up with the peer’s Hello (vector, interests) on both sides', async () => {
        const a = await node(fresh('a'), { host: { vector: { x: 3, y: 1 }, interests: ['scene', 'tools'] } });
        const b = await node(fresh('b'), { seeds: [a], host: { vector: { z: 7 }, interests: ['volumes'] } });
        await linked(a, b);
        const upAtB = b.host.eventsFor(a.id).find((e) => e.type === 'up');
        const upAtA = a.host.eventsFor(b.id).find((e) => e.type === 'up');
        expect(upAtB?.type === 'up' && upAtB.hello.vector).toEqual({ x: 3, y: 1 });
        expect(upAtB?.type === 'up' && [...(upAtB.hello.interests ?? [])]).toEqual(['scene', 'tools']);
        expect(upAtA?.type === 'up' && upAtA.hello.vector).toEqual({ z: 7 });
        expect(upAtA?.type === 'up' && [...(upAtA.hello.interests ?? [])]).toEqual(['volumes']);
        const info = a.transport.peers().find((p) => p.node === b.id);
        expect(info?.state).toBe('up');
        expect(info?.protocolVersion).toBeGreaterThanOrEqual(1);
        expect(info?.lastSeenMs).toBeGreaterThanOrEqual(0);
      });

      it('reports down when the other side closes, and stops publishing to it', async () => {
        const a = await node(fresh('a'));
        const b = await node(fresh('b'), { seeds: [a] });
        await linked(a, b);
        await b.transport.close();
        await waitFor(() => hasEvent(a.host, b.id, 'down') && !isUp(a.transport, b.id), {
          timeoutMs: WAIT_MS,
          message: `${a.id} to see ${b.id} down`,
        });
        const down = a.host.eventsFor(b.id).at(-1);
        expect(down?.type).toBe('down');
        expect(down?.type === 'down' && typeof down.reason).toBe('string');
        expect(a.transport.publish([mutation(a.id, 1)])).toBe(0);
      });

      it('a restarted node comes back up and delivery resumes both ways', async () => {
        const a = await node(fresh('a'));
        const bId = fresh('b');
        const b1 = await node(bId, { seeds: [a] });
        await linked(a, b1);
        await b1.transport.close();
        await waitFor(() => hasEvent(a.host, bId, 'down'), { timeoutMs: WAIT_MS, message: `${bId} down` });
        // The host's Hello is read each time a connection opens: the new connection carries a's new vector.
        a.host.helloInfo = { vector: { [a.id]: 9 }, interests: [] };
        const b2 = await node(bId, { seeds: [a], host: { vector: { [bId]: 5 } } });
        await waitFor(() => hasEvent(a.host, bId, 'up', 2), { timeoutMs: WAIT_MS, message: `${bId} up again` });
        await linked(a, b2);
        const second = a.host.eventsFor(bId).filter((e) => e.type === 'up')[1];
        expect(second?.type === 'up' && second.hello.vector).toEqual({ [bId]: 5 });
        const upAtB2 = b2.host.eventsFor(a.id).find((e) => e.type === 'up');
        expect(upAtB2?.type === 'up' && upAtB2.hello.vector).toEqual({ [a.id]: 9 });
        expect(a.transport.publish([mutation(a.id, 1)])).toBe(1);
        expect(b2.transport.publish([mutation(bId, 6)])).toBe(1);
        await received(b2, a, 1);
        await received(a, b2, 1);
        expect(a.host.mutations(bId).map((m) => m.seq)).toEqual([6]);
      });

      it('reconnects to a restarted seed and delivery resumes', async () => {
        const aId = fresh('a');
        const a1 = await node(aId);
        const b = await node(fresh('b'), { seeds: [aId] });
        await linked(a1, b);
        await a1.transport.close();
        await waitFor(() => hasEvent(b.host, aId, 'down'), { timeoutMs: WAIT_MS, message: `${aId} down at b` });
        const a2 = await node(aId);
        await linked(a2, b);
        expect(hasEvent(b.host, aId, 'up', 2)).toBe(true);
        expect(b.transport.publish([mutation(b.id, 1)])).toBe(1);
        await received(a2, b, 1);
      });
    });

    describe('chunks', () => {
      const d1 = digestOf('1');
      const d2 = digestOf('2');
      const absent = digestOf('f');

      it('fetches a chunk from whichever peer holds it', async () => {
        const [a, b, c] = await mesh([{}, { chunks: { [d1]: bytes('one') } }, { chunks: { [d2]: bytes('two') } }]);
        expect(Array.from(await a.transport.fetchChunk(d1))).toEqual(Array.from(bytes('one')));
        expect(Array.from(await a.transport.fetchChunk(d2))).toEqual(Array.from(bytes('two')));
        expect(b.host.chunkRequests).toContain(d1);
        expect(c.host.chunkRequests).toContain(d2);
      });

      it('asks only the named peer', async () => {
        const [a, b, c] = await mesh([{}, {}, { chunks: { [d2]: bytes('two') } }]);
        expect(errorCode(await rejectionOf(a.transport.fetchChunk(d2, { peer: b.id })))).toBe('CHUNK_NOT_FOUND');
        expect(b.host.chunkRequests).toEqual([d2]);
        expect(c.host.chunkRequests).toEqual([]);
        expect(Array.from(await a.transport.fetchChunk(d2, { peer: c.id }))).toEqual(Array.from(bytes('two')));
      });

      it('rejects CHUNK_NOT_FOUND when no peer holds the chunk', async () => {
        const [a, b, c] = await mesh();
        expect(errorCode(await rejectionOf(a.transport.fetchChunk(absent)))).toBe('CHUNK_NOT_FOUND');
        expect(b.host.chunkRequests).toEqual([absent]);
        expect(c.host.chunkRequests).toEqual([absent]);
      });

      it('rejects TIMEOUT when the peer does not answer in time', async () => {
        const a = await node(fresh('a'));
        const b = await node(fresh('b'), { seeds: [a] });
        await linked(a, b);
        b.host.stallChunk(d1);
        expect(errorCode(await rejectionOf(a.transport.fetchChunk(d1, { timeoutMs: 200 })))).toBe('TIMEOUT');
        // The connection survives a timed-out request.
        b.host.chunks.set(d2, bytes('two'));
        expect(Array.from(await a.transport.fetchChunk(d2, { peer: b.id }))).toEqual(Array.from(bytes('two')));
      });

      it('rejects NO_PEERS when no peer is up', async () => {
        const a = await node(fresh('a'));
        expect(errorCode(await rejectionOf(a.transport.fetchChunk(d1, { timeoutMs: 1000 })))).toBe('NO_PEERS');
      });
    });

    describe('snapshots', () => {
      const entry = (origin: string, seq: number, path: string, tombstone = false): CheckedEntry =>
        checkEntry(
          tombstone
            ? { path, version: { origin, seq, hlc: BIG_HLC + BigInt(seq) }, tombstone, type: '' }
            : { path, version: { origin, seq, hlc: BIG_HLC + BigInt(seq) }, tombstone, type: 'json', payload: bytes(`${seq}`) },
        );

      function entriesOf(origin: string): CheckedEntry[] {
        const out: CheckedEntry[] = [];
        for (let seq = 1; seq <= 25; seq++) out.push(entry(origin, seq, `scene.e${seq}`, seq === 7));
        out.push(
          checkEntry({
            path: 'scene.blob',
            version: { origin, seq: 26, hlc: BIG_HLC + 26n },
            tombstone: false,
            type: 'volume/f32',
            payload: { digest: digestOf('cd'), size: 4096, codec: 'raw' },
          }),
        );
        for (let seq = 27; seq <= 29; seq++) out.push(entry(origin, seq, `other.e${seq}`));
        return out;
      }

      it('answers in pages, in order, the final page carrying the vector', async () => {
        const bId = fresh('b');
        const entries = entriesOf(bId);
        const a = await node(fresh('a'));
        const b = await node(bId, { seeds: [a], host: { entries, vector: { [bId]: 29, q: 4 } } });
        await linked(a, b);
        const pages = await collect(a.transport.requestSnapshot(b.id, { prefixes: ['scene'], pageSize: 10 }));
        expect(pages.length).toBeGreaterThanOrEqual(3);
        expect(pages.every((page) => page.entries.length <= 10)).toBe(true);
        expect(pages.map((page) => page.last)).toEqual(pages.map((_, i) => i === pages.length - 1));
        expect(pages.at(-1)?.vector).toEqual({ [bId]: 29, q: 4 });
        const got = pages.flatMap((page) => page.entries.map(plainEntry));
        expect(got).toEqual(entries.filter((e) => e.path.startsWith('scene.')).map(plainEntry));
        expect(b.host.snapshotRequests).toHaveLength(1);
        expect([...(b.host.snapshotRequests[0]?.prefixes ?? [])]).toEqual(['scene']);
        expect(b.host.snapshotRequests[0]?.pageSize).toBe(10);
      });

      it('passes the request’s vector, for a catch-up', async () => {
        const bId = fresh('b');
        const a = await node(fresh('a'));
        const b = await node(bId, { seeds: [a], host: { entries: entriesOf(bId), vector: { [bId]: 29 } } });
        await linked(a, b);
        const pages = await collect(a.transport.requestSnapshot(b.id, { prefixes: [], vector: { [bId]: 24 } }));
        expect(pages.flatMap((page) => page.entries.map((e) => e.version.seq))).toEqual([25, 26, 27, 28, 29]);
        expect(b.host.snapshotRequests[0]?.vector).toEqual({ [bId]: 24 });
      });

      it('an empty snapshot is one final page', async () => {
        const a = await node(fresh('a'));
        const b = await node(fresh('b'), { seeds: [a], host: { vector: { v: 1 } } });
        await linked(a, b);
        const pages = await collect(a.transport.requestSnapshot(b.id, { prefixes: ['nothing'] }));
        expect(pages).toHaveLength(1);
        expect(pages[0]?.entries).toHaveLength(0);
        expect(pages[0]?.last).toBe(true);
        expect(pages[0]?.vector).toEqual({ v: 1 });
      });
    });

    describe('heartbeats', () => {
      const interval = 100;

      it('keeps an idle peer up, its lastSeenMs fresh', async () => {
        const a = await node(fresh('a'), { heartbeatIntervalMs: interval });
        const b = await node(fresh('b'), { seeds: [a], heartbeatIntervalMs: interval });
        await linked(a, b);
        // Stay idle for longer than the 5 silent intervals after which a peer is dropped: only heartbeats
        // can keep it up. (Waiting out a span is the point here, not a guess at how long something takes.)
        const until = Date.now() + 8 * interval;
        await waitFor(() => Date.now() >= until, { timeoutMs: WAIT_MS });
        await waitFor(
          () => {
            const info = a.transport.peers().find((p) => p.node === b.id);
            return info?.state === 'up' && info.lastSeenMs < 2 * interval;
          },
          { timeoutMs: WAIT_MS, message: `${b.id} up with a fresh lastSeenMs at ${a.id}` },
        );
        expect(hasEvent(a.host, b.id, 'down')).toBe(false);
        expect(hasEvent(b.host, a.id, 'down')).toBe(false);
      });

      it.skipIf(harness.silence === undefined)('a silent peer becomes suspect, then down', async () => {
        const a = await node(fresh('a'), { heartbeatIntervalMs: interval });
        const b = await node(fresh('b'), { seeds: [a], heartbeatIntervalMs: interval });
        await linked(a, b);
        await harness.silence?.(b.transport);
        await waitFor(() => hasEvent(a.host, b.id, 'down'), { timeoutMs: WAIT_MS, message: `${b.id} down` });
        const types = a.host.eventsFor(b.id).map((e) => e.type);
        expect(types.indexOf('suspect')).toBeGreaterThan(types.indexOf('up'));
        expect(types.lastIndexOf('down')).toBeGreaterThan(types.indexOf('suspect'));
        expect(isUp(a.transport, b.id)).toBe(false);
      });
    });

    describe('robustness', () => {
      it.skipIf(harness.sendUnknownFrame === undefined)('skips frames of unknown kinds', async () => {
        const a = await node(fresh('a'));
        const b = await node(fresh('b'), { seeds: [a] });
        await linked(a, b);
        await harness.sendUnknownFrame?.(a.transport, b.id);
        a.transport.publish([mutation(a.id, 1)]);
        await received(b, a, 1);
        await waitFor(() => b.transport.stats().unknownFrames >= 1, { timeoutMs: WAIT_MS, message: 'unknownFrames' });
        expect(isUp(b.transport, a.id)).toBe(true);
        expect(hasEvent(b.host, a.id, 'down')).toBe(false);
      });

      it('refuses a peer of another cluster', async () => {
        const a = await node(fresh('a'), { heartbeatIntervalMs: 100 });
        const stranger = await node(fresh('x'), { seeds: [a], clusterId: 'elsewhere', heartbeatIntervalMs: 100 });
        // A node of a's cluster, started after the stranger, connects: by then the stranger has tried too.
        const friend = await node(fresh('b'), { seeds: [a], heartbeatIntervalMs: 100 });
        await linked(a, friend);
        const until = Date.now() + 500;
        await waitFor(() => Date.now() >= until, { timeoutMs: WAIT_MS });
        expect(a.host.eventsFor(stranger.id).some((e) => e.type === 'up')).toBe(false);
        expect(stranger.host.events.some((e) => e.type === 'up')).toBe(false);
        expect(stranger.transport.peers().filter((p) => p.state === 'up')).toEqual([]);
        // A refused node may still show as `connecting` while it retries; it is never up.
        expect(a.transport.peers().filter((p) => p.node === stranger.id && p.state !== 'connecting')).toEqual([]);
      });
    });

    describe('close', () => {
      it('releases every peer, timer and socket, and is idempotent', async () => {
        // Resources (sockets, servers, timers) that keep the event loop alive, counted by type before this test
        // made anything. Earlier tests' leftovers still closing can only raise the baseline (a looser check,
        // never a false failure); the test's own bookkeeping (vitest's test timer) is in both counts.
        const before = activeResources();
        const [a, b, c] = await mesh([{}, { chunks: { [digestOf('1')]: bytes('x') } }, {}]);
        a.transport.publish([mutation(a.id, 1)]);
        await received(b, a, 1);
        await a.transport.fetchChunk(digestOf('1'));
        await collect(c.transport.requestSnapshot(a.id, { prefixes: [] }));
        await Promise.all([a, b, c].map((n) => n.transport.close()));
        for (const n of [a, b, c]) {
          expect(n.transport.peers().filter((p) => p.state === 'up' || p.state === 'suspect')).toEqual([]);
          // Either answer is allowed: nothing queued (0) or a CLOSED error.
          let outcome: string;
          try {
            outcome = `returned ${n.transport.publish([mutation(n.id, 2)])}`;
          } catch (error) {
            outcome = errorCode(error) === 'CLOSED' ? 'returned 0' : `threw ${errorCode(error)}`;
          }
          expect(outcome).toBe('returned 0');
          await expect(n.transport.close()).resolves.toBeUndefined();
        }
        await rejectionOf(a.transport.fetchChunk(digestOf('1'), { timeoutMs: 1000 }));
        let leaked: string[] = [];
        try {
          await waitFor(() => (leaked = leakedSince(before)).length === 0, { timeoutMs: WAIT_MS });
        } catch {
          // Reported below with the resource types that stayed.
        }
        expect(leaked).toEqual([]);
      });
    });

    if (harness.engine === true) runEngineConformance(harness);
  });
}
