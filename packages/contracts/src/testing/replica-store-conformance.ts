import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError } from '../error.js';
import { checkEntry, checkMutation, type CheckedEntry, type CheckedMutation } from '../checked-mutation.js';
import type { Durability, RecoveredReplica, ReplicaIdentity, ReplicaStore } from '../replica-store.js';
import type { ReplicaStoreHarness } from './replica-store-harness.js';

// Every test opens fresh places and removes them after, whatever happened; every store a test made is closed
// (or crashed). Nothing waits on time: a store's promises are the only synchronisation.

const ME: ReplicaIdentity = { clusterId: 'conformance', nodeId: 'me' };
const BIG_HLC = 2n ** 60n + 7n; // above 2^53: must survive exactly
const encoder = new TextEncoder();

function set(origin: string, seq: number, path: string, hlc: bigint, value = `${origin}${seq}`): CheckedMutation {
  return checkMutation({ origin, seq, hlc, path, op: 'set', type: 'json', payload: encoder.encode(JSON.stringify(value)) });
}

function del(origin: string, seq: number, path: string, hlc: bigint): CheckedMutation {
  return checkMutation({ origin, seq, hlc, path, op: 'delete', type: '' });
}

/** The recovered entries as `path -> 'origin:seq'` (tombstones marked `~`), for readable assertions. */
function summary(recovered: RecoveredReplica): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of recovered.entries) out[`${e.tombstone ? '~' : ''}${e.path}`] = `${e.version.origin}:${e.version.seq}`;
  return out;
}

function expectCode(error: unknown, code: string): void {
  expect(isStatemeshError(error), `expected a StatemeshError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** Runs the `ReplicaStore` contract's tests against one implementation (see {@link ReplicaStoreHarness}). */
export function runReplicaStoreConformance<Place>(harness: ReplicaStoreHarness<Place>): void {
  describe(`ReplicaStore conformance: ${harness.name}`, () => {
    const places: Place[] = [];
    const open: ReplicaStore[] = [];

    afterEach(async () => {
      for (const store of open.splice(0)) await store.close().catch(() => undefined);
      for (const place of places.splice(0)) await harness.remove(place);
    });

    async function newPlace(): Promise<Place> {
      const place = await harness.place();
      places.push(place);
      return place;
    }

    async function start(place: Place, durability: Durability = 'batched', identity = ME): Promise<[ReplicaStore, RecoveredReplica]> {
      const store = harness.create(place, { durability });
      open.push(store);
      return [store, await store.open(identity)];
    }

    async function stop(store: ReplicaStore): Promise<void> {
      await store.close();
      open.splice(open.indexOf(store), 1);
    }

    async function crash(store: ReplicaStore, place: Place): Promise<void> {
      await harness.crash(store, place);
      open.splice(open.indexOf(store), 1);
    }

    it('opens a new place empty, at incarnation 1', async () => {
      const [store, recovered] = await start(await newPlace());
      expect(recovered.entries).toEqual([]);
      expect(recovered.vector).toEqual({});
      expect(recovered.outbox).toEqual([]);
      expect(recovered.incarnation).toBe(1);
      expect(recovered.lastSequence).toBe(0);
      expect(recovered.truncatedBytes).toBe(0);
      await stop(store);
    });

    it('recovers the winners of last-writer-wins, the vector, the sequence and the outbox after a clean close', async () => {
      const place = await newPlace();
      const [store] = await start(place);
      store.append({ kind: 'local', mutations: [set('me', 1, 'a.x', BIG_HLC + 1n), set('me', 2, 'a.y', BIG_HLC + 2n)] });
      store.append({ kind: 'applied', mutations: [set('peer', 1, 'a.x', BIG_HLC + 5n), set('peer', 2, 'b', BIG_HLC), del('peer', 3, 'c', BIG_HLC + 9n)] });
      // Older than the tombstone at c: lost. Newer write at a.x from the same batch order: kept.
      store.append({ kind: 'entries', entries: [entry('c.z', 'old', 1, BIG_HLC + 1n), entry('d', 'other', 4, BIG_HLC + 3n)] });
      store.append({ kind: 'vector', vector: { me: 2, peer: 3, other: 4 } });
      store.append({ kind: 'sequence', seq: 100 });
      await store.commit();
      await stop(store);

      const [again, recovered] = await start(place);
      expect(summary(recovered)).toEqual({ 'a.x': 'peer:1', 'a.y': 'me:2', b: 'peer:2', '~c': 'peer:3', d: 'other:4' });
      const ax = recovered.entries.find((e) => e.path === 'a.x')!;
      expect(ax.version.hlc).toBe(BIG_HLC + 5n);
      expect(new TextDecoder().decode(ax.payload as Uint8Array)).toBe('"peer1"');
      expect(recovered.vector).toEqual({ me: 2, peer: 3, other: 4 });
      expect(recovered.lastSequence).toBe(100);
      expect(recovered.incarnation).toBe(2);
      // me:1 lost at a.x to a newer write: nothing to send. me:2 still wins: it is owed to the peers.
      expect(recovered.outbox.map((m) => m.seq)).toEqual([2]);
      await stop(again);
    });

    it('a delete removes every older entry under its path, and keeps newer ones', async () => {
      const place = await newPlace();
      const [store] = await start(place);
      store.append({ kind: 'applied', mutations: [set('p', 1, 'scene.a', BIG_HLC), set('p', 2, 'scene.b.c', BIG_HLC + 10n), set('p', 3, 'scenery', BIG_HLC)] });
      store.append({ kind: 'applied', mutations: [del('q', 1, 'scene', BIG_HLC + 5n)] });
      await stop(store);
      const [again, recovered] = await start(place);
      expect(summary(recovered)).toEqual({ '~scene': 'q:1', 'scene.b.c': 'p:2', scenery: 'p:3' });
      await stop(again);
    });

    it('replicated records empty the outbox; collected tombstones are dropped', async () => {
      const place = await newPlace();
      const [store] = await start(place);
      store.append({ kind: 'local', mutations: [set('me', 1, 'a', BIG_HLC), set('me', 2, 'b', BIG_HLC), del('me', 3, 'c', BIG_HLC)] });
      store.append({ kind: 'replicated', seq: 2 });
      await store.commit();
      await stop(store);
      const [second, first] = await start(place);
      expect(first.outbox.map((m) => [m.seq, m.op])).toEqual([[3, 'delete']]);
      expect(first.lastSequence).toBe(3);
      second.append({ kind: 'collected', tombstones: [first.entries.find((e) => e.tombstone)!] });
      await stop(second);
      const [third, recovered] = await start(place);
      expect(summary(recovered)).toEqual({ a: 'me:1', b: 'me:2' });
      await stop(third);
    });

    it('keeps everything across a snapshot, and the log starts again behind it', async () => {
      const place = await newPlace();
      const [store] = await start(place);
      for (let i = 1; i <= 50; i++) store.append({ kind: 'applied', mutations: [set('p', i, `k.n${i % 20}`, BIG_HLC + BigInt(i))] });
      store.append({ kind: 'vector', vector: { p: 50 } });
      await store.snapshot();
      const after = store.stats();
      expect(after.snapshots).toBe(1);
      expect(after.snapshotEntries).toBe(20);
      expect(after.logRecords).toBe(0);
      expect(after.snapshotAtMs).toBeTypeOf('number');
      store.append({ kind: 'applied', mutations: [del('p', 51, 'k.n1', BIG_HLC + 100n)] });
      store.append({ kind: 'vector', vector: { p: 51 } });
      await store.commit();
      expect(store.stats().logRecords).toBe(2);
      await stop(store);
      const [again, recovered] = await start(place);
      const values = recovered.entries.filter((e) => !e.tombstone);
      expect(values).toHaveLength(19);
      expect(values.find((e) => e.path === 'k.n5')!.version.seq).toBe(45);
      expect(recovered.vector).toEqual({ p: 51 });
      await stop(again);
    });

    it('a scope record replaces the vector recorded before it, and is kept across a snapshot and a reopen', async () => {
      const place = await newPlace();
      const [store, fresh] = await start(place);
      expect(fresh.scope).toBeUndefined();
      store.append({ kind: 'vector', vector: { me: 3, p: 40, q: 7 } });
      const scope = { interests: ['a', 'b'], spans: [{ begin: 0, end: 2 ** 31 }, { begin: 2 ** 31 + 5, end: 2 ** 32 }] };
      store.append({ kind: 'scope', scope, vector: { me: 3 } });
      store.append({ kind: 'vector', vector: { me: 4, p: 2 } });
      await store.commit();
      await stop(store);
      const [second, recovered] = await start(place);
      expect(recovered.vector).toEqual({ me: 4, p: 2 }); // not p: 40 nor q: 7, claimed under the old scope
      expect(recovered.scope).toEqual(scope);
      await second.snapshot();
      await stop(second);
      const [third, again] = await start(place);
      expect(again.vector).toEqual({ me: 4, p: 2 });
      expect(again.scope).toEqual(scope);
      third.append({ kind: 'scope', scope: { interests: [], spans: undefined }, vector: again.vector });
      await stop(third);
      const [fourth, last] = await start(place);
      expect(last.scope).toEqual({ interests: [], spans: undefined });
      expect(last.vector).toEqual({ me: 4, p: 2 });
      await stop(fourth);
    });

    it('cuts a torn tail and keeps every record before it', async () => {
      const place = await newPlace();
      const [store] = await start(place);
      store.append({ kind: 'applied', mutations: [set('p', 1, 'a', BIG_HLC)] });
      await store.commit();
      const before = await harness.logLength(place);
      store.append({ kind: 'applied', mutations: [set('p', 2, 'b', BIG_HLC)] });
      await store.commit();
      const full = await harness.logLength(place);
      await crash(store, place);
      await harness.truncateLog(place, before + Math.floor((full - before) / 2));
      const [again, recovered] = await start(place);
      expect(summary(recovered)).toEqual({ a: 'p:1' });
      expect(recovered.truncatedBytes).toBe(Math.floor((full - before) / 2));
      // The store goes on appending after the cut.
      again.append({ kind: 'applied', mutations: [set('p', 3, 'c', BIG_HLC)] });
      await stop(again);
      const [third, last] = await start(place);
      expect(summary(last)).toEqual({ a: 'p:1', c: 'p:3' });
      expect(last.truncatedBytes).toBe(0);
      await stop(third);
    });

    it('refuses a corrupted record in the middle with STORE_CORRUPT naming its offset', async () => {
      const place = await newPlace();
      const [store] = await start(place);
      for (let i = 1; i <= 20; i++) {
        store.append({ kind: 'applied', mutations: [set('p', i, `k${i}`, BIG_HLC)] });
        await store.commit();
      }
      await stop(store);
      const length = await harness.logLength(place);
      const offset = Math.floor(length / 2);
      await harness.flipLogByte(place, offset);
      const broken = harness.create(place, { durability: 'batched' });
      const error = await broken.open(ME).then(() => undefined, (e: unknown) => e);
      await broken.close();
      expectCode(error, 'STORE_CORRUPT');
      const details = (error as { details?: { offset?: unknown } }).details;
      expect(details?.offset).toBeTypeOf('number');
      expect(details!.offset as number).toBeLessThanOrEqual(offset);
      expect(offset - (details!.offset as number)).toBeLessThan(length / 10);
      expect((error as Error).message).toContain(String(details!.offset));
      // Never a silent skip: it refuses again, the damage is still there.
      const still = harness.create(place, { durability: 'batched' });
      await expect(still.open(ME)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
      await still.close();
    });

    // `none` promises nothing past the operating system, which a harness's crash may take down too.
    it.each(['batched', 'sync'] as const)('keeps every committed record after a crash (durability %s)', async (durability) => {
      const place = await newPlace();
      const [store] = await start(place, durability);
      for (let i = 1; i <= 30; i++) store.append({ kind: 'applied', mutations: [set('p', i, `k${i}`, BIG_HLC + BigInt(i))] });
      await store.commit();
      store.append({ kind: 'applied', mutations: [set('p', 31, 'late', BIG_HLC)] }); // not committed: may be lost
      await crash(store, place);
      const [again, recovered] = await start(place, durability);
      const paths = new Set(recovered.entries.map((e) => e.path));
      for (let i = 1; i <= 30; i++) expect(paths.has(`k${i}`)).toBe(true);
      expect(recovered.incarnation).toBe(2);
      await stop(again);
    });

    it('group commit: one commit covers every record appended before it', async () => {
      const place = await newPlace();
      const [store] = await start(place);
      const commits: Promise<void>[] = [];
      for (let i = 1; i <= 2000; i++) {
        store.append({ kind: 'applied', mutations: [set('p', i, `n.k${i}`, BIG_HLC)] });
        if (i % 100 === 0) commits.push(store.commit());
      }
      await Promise.all(commits);
      expect(store.stats().pendingRecords).toBe(0);
      await crash(store, place);
      const [again, recovered] = await start(place);
      expect(recovered.entries).toHaveLength(2000);
      await stop(again);
    });

    it('refuses misuse: append before open, after close; another node id', async () => {
      const place = await newPlace();
      const store = harness.create(place, { durability: 'batched' });
      open.push(store);
      expectCode(catching(() => store.append({ kind: 'sequence', seq: 1 })), 'NOT_STARTED');
      await store.open(ME);
      await stop(store);
      await store.close(); // idempotent
      expectCode(catching(() => store.append({ kind: 'sequence', seq: 1 })), 'CLOSED');
      const other = harness.create(place, { durability: 'batched' });
      await expect(other.open({ clusterId: 'conformance', nodeId: 'someone-else' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await other.close();
    });

    it('stats count the log and the bytes kept', async () => {
      const [store] = await start(await newPlace());
      const empty = store.stats();
      store.append({ kind: 'applied', mutations: [set('p', 1, 'a', BIG_HLC)] });
      expect(store.stats().pendingRecords).toBe(1);
      await store.commit();
      const one = store.stats();
      expect(one.pendingRecords).toBe(0);
      expect(one.logRecords).toBe(empty.logRecords + 1);
      expect(one.logBytes).toBeGreaterThan(empty.logBytes);
      expect(one.bytes).toBeGreaterThanOrEqual(one.logBytes);
      expect(one.durability).toBe('batched');
      await stop(store);
    });
  });
}

function entry(path: string, origin: string, seq: number, hlc: bigint): CheckedEntry {
  return checkEntry({ path, version: { origin, seq, hlc }, tombstone: false, type: 'text', payload: encoder.encode(path) });
}

function catching(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
