import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMutation, isStatemeshError } from '@statemesh/contracts';
import type { CheckedMutation } from '@statemesh/contracts';
import { FileReplicaStore } from '@statemesh/store-fs';
import { seededRandom } from './seeded-random.ts';

const ME = { clusterId: 'c', nodeId: 'me' };
const RECORDS = 60;
const LOG = 'log-000000000001.sml';

function write(seq: number): CheckedMutation {
  return checkMutation({ origin: 'peer', seq, hlc: 1_000_000n + BigInt(seq), path: `k.n${seq}`, op: 'set', type: 'text', payload: new TextEncoder().encode('v'.repeat(seq)) });
}

let root: string;
let log: Uint8Array;
/** Byte offset where each record of the log ends; `ends[0]` is where the first data record starts. */
const ends: number[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'statemesh-damaged-'));
  const dir = join(root, 'source');
  const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
  await store.open(ME);
  ends.push(store.stats().logBytes);
  for (let seq = 1; seq <= RECORDS; seq++) {
    store.append({ kind: 'applied', mutations: [write(seq)] });
    await store.commit();
    ends.push(store.stats().logBytes);
  }
  await store.close();
  log = new Uint8Array(await readFile(join(dir, LOG))); // a copy: Buffer.slice would share bytes
  if (log.length !== ends.at(-1)) throw new Error(`the log is ${log.length} bytes, the store counted ${ends.at(-1)}`);
});

afterAll(() => rm(root, { recursive: true, force: true }));

let cases = 0;
/** A data directory holding `bytes` as its log. */
async function dirWith(bytes: Uint8Array): Promise<string> {
  const dir = join(root, `case-${cases++}`);
  await mkdir(dir);
  await writeFile(join(dir, LOG), bytes);
  return dir;
}

describe('a torn tail', () => {
  it('at 200 random offsets: open succeeds, keeps every record before the tear and cuts the rest', async () => {
    const random = seededRandom(20_251_201);
    for (let i = 0; i < 200; i++) {
      const cut = ends[0]! + random(log.length - ends[0]!);
      const dir = await dirWith(log.subarray(0, cut));
      const kept = ends.filter((end) => end <= cut).length - 1;
      const store = new FileReplicaStore({ dir });
      const recovered = await store.open(ME);
      const seqs = recovered.entries.map((e) => e.version.seq).sort((a, b) => a - b);
      expect(seqs, `cut at byte ${cut}`).toEqual(Array.from({ length: kept }, (_, n) => n + 1));
      expect(recovered.truncatedBytes).toBe(cut - ends[kept]!);
      await store.close();
      // The cut is for good: a second open finds a clean log.
      const again = new FileReplicaStore({ dir });
      expect((await again.open(ME)).truncatedBytes).toBe(0);
      await again.close();
      await rm(dir, { recursive: true });
    }
  });

  it('of unwritten zeros (space allocated, never written) is cut too', async () => {
    const bytes = new Uint8Array(log.length + 4096);
    bytes.set(log);
    const dir = await dirWith(bytes);
    const store = new FileReplicaStore({ dir });
    const recovered = await store.open(ME);
    expect(recovered.entries).toHaveLength(RECORDS);
    expect(recovered.truncatedBytes).toBe(4096);
    await store.close();
  });
});

describe('a corrupted record', () => {
  it('refuses to open with STORE_CORRUPT naming the file and the offset of the damaged record, for 100 random flipped bytes', async () => {
    const random = seededRandom(99);
    for (let i = 0; i < 100; i++) {
      const at = ends[0]! + random(log.length - ends[0]!);
      const bytes = log.slice();
      bytes[at] = bytes[at]! ^ (1 << random(8));
      const dir = await dirWith(bytes);
      const store = new FileReplicaStore({ dir });
      const error = await store.open(ME).then(() => undefined, (e: unknown) => e);
      await store.close();
      const recordStart = ends.filter((end) => end <= at).at(-1)!;
      expect(isStatemeshError(error, 'STORE_CORRUPT'), `flip at ${at}: ${String(error)}`).toBe(true);
      const details = (error as { details: { file: string; offset: number } }).details;
      expect(details.offset).toBe(recordStart);
      expect(details.file).toBe(join(dir, LOG));
      expect((error as Error).message).toContain(`byte offset ${recordStart}`);
      // Nothing was changed: the file is as it was.
      expect(await readFile(join(dir, LOG))).toEqual(Buffer.from(bytes));
      await rm(dir, { recursive: true });
    }
  });

  it('refuses a damaged file header, a damaged snapshot and a missing segment', async () => {
    const header = log.slice();
    header[0] = 0;
    const dir = await dirWith(header);
    await expect(new FileReplicaStore({ dir }).open(ME)).rejects.toMatchObject({ code: 'STORE_CORRUPT', details: { offset: 0 } });

    const snapDir = join(root, 'snap');
    const store = new FileReplicaStore({ dir: snapDir });
    await store.open(ME);
    store.append({ kind: 'applied', mutations: [write(1), write(2)] });
    await store.snapshot();
    store.append({ kind: 'applied', mutations: [write(3)] });
    await store.snapshot();
    await store.close();
    const names = (await readdir(snapDir)).sort();
    expect(names).toEqual(['log-000000000003.sml', 'snapshot-000000000003.sms']);
    const snapshot = await readFile(join(snapDir, names[1]!));
    snapshot[snapshot.length - 3] = snapshot[snapshot.length - 3]! ^ 1;
    await writeFile(join(snapDir, names[1]!), snapshot);
    await expect(new FileReplicaStore({ dir: snapDir }).open(ME)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });

    const gapDir = join(root, 'gap');
    const gapped = new FileReplicaStore({ dir: gapDir, snapshotAfterBytes: 0 });
    await gapped.open(ME);
    await gapped.close();
    await writeFile(join(gapDir, 'log-000000000003.sml'), await readFile(join(gapDir, LOG)));
    await expect(new FileReplicaStore({ dir: gapDir }).open(ME)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });
});
