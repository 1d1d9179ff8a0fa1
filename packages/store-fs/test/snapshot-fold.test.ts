// A restart from a snapshot (format 2: `packed` entries kept apart, the log after it merged on top) recovers exactly
// what folding every record from the start would: random histories of sets, deletes of subtrees, remote writes,
// catch-up pages and collected tombstones, with snapshots at random points.
import { describe, expect, it } from 'vitest';
import { checkEntries, checkEntry, checkMutation, type CheckedEntry, type Entry, type RecoveredReplica, type ReplicaRecord } from '@statemesh/contracts';
import { MemoryDisk, MemoryReplicaStore, RECORD_KIND, crc32c } from '@statemesh/store-fs';
import { encodeFrameBody } from '@statemesh/wire';
import { seededRandom } from './seeded-random.ts';

const ME = { clusterId: 'fold', nodeId: 'me' };
const PATHS = ['a', 'a.b', 'a.b.c', 'a.d', 'e', 'e.f', 'g'];
const ORIGINS = ['me', 'p', 'q'];

const key = (e: Entry): string => `${e.tombstone ? 'T' : 'V'} ${e.path} ${e.version.hlc}/${e.version.origin}/${e.version.seq} ${e.type} ${e.payload instanceof Uint8Array ? Buffer.from(e.payload).toString('hex') : JSON.stringify(e.payload)} ${JSON.stringify(e.prev, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
const view = (r: RecoveredReplica) => ({
  entries: r.entries.map(key).sort(),
  vector: r.vector,
  lastSequence: r.lastSequence,
  outbox: r.outbox.map((m) => `${m.origin}#${m.seq}`).sort(),
});

/** A random history of records, the same for a seed. */
function history(seed: number): ReplicaRecord[] {
  const random = seededRandom(seed);
  const seqs = new Map<string, number>();
  let hlc = 1000n;
  const records: ReplicaRecord[] = [];
  const tombstones: CheckedEntry[] = [];
  for (let n = 0; n < 60; n++) {
    const origin = ORIGINS[random(ORIGINS.length)]!;
    const seq = (seqs.get(origin) ?? 0) + 1;
    seqs.set(origin, seq);
    hlc += BigInt(random(3)) - 1n + 2n; // mostly rising, sometimes equal or older than another origin's
    const at = hlc - BigInt(random(4));
    const path = PATHS[random(PATHS.length)]!;
    const del = random(5) === 0;
    const payload = random(4) === 0 ? { digest: `${'ab'.repeat(31)}${(n % 256).toString(16).padStart(2, '0')}`, size: 100_000 + n, codec: 'raw' } : new Uint8Array([n, seed & 0xff]);
    const m = checkMutation(del ? { origin, seq, hlc: at, path, op: 'delete', type: '' } : { origin, seq, hlc: at, path, op: 'set', type: n % 2 === 0 ? 'json' : 'bytes', payload });
    const roll = random(10);
    if (origin === 'me') records.push({ kind: 'local', mutations: [m] });
    else if (roll < 6) records.push({ kind: 'applied', mutations: [m] });
    else {
      const entry = checkEntry(del ? { path, version: { hlc: at, origin, seq }, tombstone: true, type: '' } : { path, version: { hlc: at, origin, seq }, tombstone: false, type: m.type, payload: m.payload, prev: random(2) === 0 ? null : { hlc: at - 1n, origin: 'p', seq: 1 } });
      if (del) tombstones.push(entry);
      records.push({ kind: 'entries', entries: [entry] });
    }
    if (random(8) === 0) records.push({ kind: 'vector', vector: Object.fromEntries(seqs) });
    if (random(12) === 0 && tombstones.length > 0) records.push({ kind: 'collected', tombstones: [tombstones[random(tombstones.length)]!] });
    if (random(15) === 0) records.push({ kind: 'replicated', seq: Math.max(0, (seqs.get('me') ?? 0) - random(3)) });
  }
  return records;
}

async function recover(records: readonly ReplicaRecord[], snapshotAt: ReadonlySet<number>): Promise<RecoveredReplica> {
  const disk = new MemoryDisk();
  const store = new MemoryReplicaStore({ disk, snapshotAfterBytes: 0 });
  await store.open(ME);
  for (const [i, record] of records.entries()) {
    store.append(record);
    if (snapshotAt.has(i)) {
      await store.commit();
      await store.snapshot();
    }
  }
  await store.close();
  const again = new MemoryReplicaStore({ disk, snapshotAfterBytes: 0 });
  const recovered = await again.open(ME);
  await again.close();
  return recovered;
}

describe('a restart from a snapshot folds like the whole log', () => {
  it.each(Array.from({ length: 120 }, (_, i) => i + 1))('seed %i', async (seed) => {
    const records = history(seed);
    const random = seededRandom(seed * 31 + 7);
    const points = new Set(Array.from({ length: 1 + random(3) }, () => random(records.length)));
    const plain = view(await recover(records, new Set()));
    const snapshotted = view(await recover(records, points));
    expect(snapshotted).toEqual(plain);
    // Snapshotting at the very end, too: everything is in the snapshot, nothing after it.
    expect(view(await recover(records, new Set([records.length - 1])))).toEqual(plain);
  });
});

describe('packed snapshot entries', () => {
  it('keep every field: blob references, prev null or a version, tombstones, 2^53-1 seqs and hlcs up to 2^64-1', async () => {
    const disk = new MemoryDisk();
    const store = new MemoryReplicaStore({ disk, snapshotAfterBytes: 0 });
    await store.open(ME);
    const entries: Entry[] = [
      { path: 'a.b', version: { hlc: (1n << 64n) - 1n, origin: 'p~x1', seq: Number.MAX_SAFE_INTEGER }, tombstone: false, type: 'volume/f32', payload: new Uint8Array([1, 2, 3]), prev: { hlc: 5n, origin: 'q', seq: 2 ** 40 } },
      { path: 'c', version: { hlc: 7n, origin: 'q', seq: 1 }, tombstone: false, type: 'bytes', payload: { digest: 'cd'.repeat(32), size: 2 ** 40 + 3, codec: 'zstd' }, prev: null },
      { path: 'd', version: { hlc: 8n, origin: 'q', seq: 2 }, tombstone: true, type: '' },
      { path: 'e', version: { hlc: 9n, origin: 'p~x1', seq: 3 }, tombstone: false, type: 'json', payload: new Uint8Array(0) },
    ];
    store.append({ kind: 'entries', entries: checkEntries(entries) });
    await store.commit();
    await store.snapshot();
    await store.close();
    const snapshots = (await disk.list()).filter((name) => name.endsWith('.sms'));
    expect(snapshots).toHaveLength(1);
    expect((await disk.read(snapshots[0]!))[4]).toBe(2);
    const again = new MemoryReplicaStore({ disk, snapshotAfterBytes: 0 });
    const recovered = await again.open(ME);
    await again.close();
    expect(recovered.entries.map(key).sort()).toEqual(entries.map(key).sort());
  });
});

describe('a snapshot of format version 1', () => {
  it('(protobuf entries records, as stores before packed snapshots wrote) is still read', async () => {
    const frame = (kind: number, body: Uint8Array): Buffer => {
      const out = Buffer.alloc(13 + body.length);
      out[12] = kind;
      out.set(body, 13);
      out.writeUInt32LE(body.length + 1, 0);
      out.writeUInt32LE(crc32c(out, 12), 4);
      out.writeUInt32LE(crc32c(out, 0, 8), 8);
      return out;
    };
    const u64 = (n: number): Uint8Array => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const page = (entries: Entry[], vector?: Record<string, number>): Uint8Array =>
      encodeFrameBody(vector === undefined ? { kind: 'snapshot-page', requestId: 0, entries, last: true } : { kind: 'snapshot-page', requestId: 0, entries, last: true, vector });
    const header = Buffer.alloc(16);
    header.writeUInt32LE(0x4e534d53, 0); // SMSN
    header.writeUInt16LE(1, 4);
    header.writeBigUInt64LE(2n, 8);
    const entries: Entry[] = [
      { path: 'gone', version: { hlc: 9n, origin: 'p', seq: 2 }, tombstone: true, type: '' },
      { path: 'kept', version: { hlc: 8n, origin: 'p', seq: 1 }, tombstone: false, type: 'json', payload: new Uint8Array([0x31]) },
    ];
    const records = [frame(RECORD_KIND.incarnation, u64(3)), frame(RECORD_KIND.sequence, u64(0)), frame(RECORD_KIND.replicated, u64(0)), frame(RECORD_KIND.vector, page([], { p: 2 })), frame(RECORD_KIND.entries, page(entries))];
    const file = Buffer.concat([header, ...records, frame(RECORD_KIND.end, u64(records.length))]);
    const disk = new MemoryDisk();
    const writer = await disk.append('snapshot-000000000002.sms');
    await writer.write(file);
    await writer.sync();
    const store = new MemoryReplicaStore({ disk, snapshotAfterBytes: 0 });
    const recovered = await store.open(ME);
    expect(recovered.incarnation).toBe(4);
    expect(recovered.vector).toEqual({ p: 2 });
    expect(recovered.entries.map(key).sort()).toEqual(entries.map(key).sort());
    // Compacted again, it is written as version 2, and reads back the same.
    await store.snapshot();
    await store.close();
    const snapshots = (await disk.list()).filter((name) => name.endsWith('.sms'));
    expect(snapshots).toHaveLength(1);
    expect((await disk.read(snapshots[0]!))[4]).toBe(2);
    const again = new MemoryReplicaStore({ disk, snapshotAfterBytes: 0 });
    expect((await again.open(ME)).entries.map(key).sort()).toEqual(entries.map(key).sort());
    await again.close();
  });
});
