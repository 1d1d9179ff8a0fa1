// Blob-store throughput beside the raw floor, measured in the same run. `pnpm bench` in this package.
// Every case runs once per round, rounds interleave the cases (so a busy machine slows ours and the floor alike),
// and each figure is the median over the rounds. Data: SIZE bytes of seeded random bytes, 1 MiB chunks.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlobStore, MemoryBlobStore, cdcCutPoints, getChunked, putChunked } from '@statemesh/blob-store';
import type { BlobRef } from '@statemesh/contracts';
import { SeededRandom } from '@statemesh/contracts/testing/seeded-random';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_MIB ?? 64) * MiB;
const ROUNDS = Number(process.env.BENCH_RUNS ?? 7);
const CHUNK = MiB;

const random = new SeededRandom(2463534242);
const data = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i++) data[i] = Math.floor(random.next() * 256);
const chunks: Uint8Array[] = [];
for (let at = 0; at < SIZE; at += CHUNK) chunks.push(data.subarray(at, Math.min(at + CHUNK, SIZE)));
const chunkDigests = chunks.map((chunk) => createHash('sha256').update(chunk).digest('hex'));
const root = await mkdtemp(join(tmpdir(), 'statemesh-blob-bench-'));
let dirs = 0;
const freshDir = (): string => join(root, `d${dirs++}`);
const scratch: string[] = []; // directories written by timed runs, removed after each round
const scratchDir = (): string => {
  const dir = freshDir();
  scratch.push(dir);
  return dir;
};

// Floors: storing and reading the same 1 MiB chunks with nothing but node:fs and one SHA-256 per byte.
// The plain floor is fs.writeFile (no fsync); the durable floor does what a crash-safe store must (temp file,
// fsync, rename, directory fsync) with the same 4 writes in flight as putChunked.
async function floorWrite(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const chunk of chunks) await writeFile(join(dir, createHash('sha256').update(chunk).digest('hex')), chunk);
}

async function durableWrite(dir: string, chunk: Uint8Array): Promise<void> {
  const digest = createHash('sha256').update(chunk).digest('hex');
  const temp = join(dir, `${digest}.tmp`);
  const handle = await open(temp, 'wx');
  await handle.write(chunk);
  await handle.sync();
  await handle.close();
  await rename(temp, join(dir, digest));
  const directory = await open(dir, 'r');
  await directory.sync();
  await directory.close();
}

async function durableFloorWrite(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const inFlight: Promise<void>[] = [];
  for (const chunk of chunks) {
    if (inFlight.length >= 4) await inFlight.shift();
    inFlight.push(durableWrite(dir, chunk));
  }
  await Promise.all(inFlight);
}

async function floorRead(dir: string): Promise<void> {
  const out = new Uint8Array(SIZE);
  let at = 0;
  for (const digest of chunkDigests) {
    const bytes = await readFile(join(dir, digest));
    if (createHash('sha256').update(bytes).digest('hex') !== digest) throw new Error('floor read mismatch');
    out.set(bytes, at);
    at += bytes.length;
  }
}

interface Case {
  readonly name: string;
  /** Untimed preparation before each timed run. */
  readonly setup?: () => Promise<void>;
  readonly run: () => Promise<void> | void;
  readonly times: number[];
}
const cases = new Map<string, Case>();
const add = (name: string, run: () => Promise<void> | void, setup?: () => Promise<void>): void => {
  cases.set(name, setup === undefined ? { name, run, times: [] } : { name, run, setup, times: [] });
};

const readFloorDir = freshDir();
await floorWrite(readFloorDir);
let writeFloorDir = '';
add('writeFile+sha256 floor', () => floorWrite(writeFloorDir), async () => {
  writeFloorDir = scratchDir();
});
add('durable write+sha256 floor', () => durableFloorWrite(writeFloorDir), async () => {
  writeFloorDir = scratchDir();
});
add('readFile+sha256 floor', () => floorRead(readFloorDir));
add('in-memory sha256+copy floor', () => {
  for (const chunk of chunks) {
    createHash('sha256').update(chunk).digest('hex');
    chunk.slice();
  }
});

let memory = new MemoryBlobStore();
add('memory put', async () => void (await putChunked(memory, data, { chunkSize: CHUNK })), async () => {
  memory = new MemoryBlobStore();
});
const memoryStore = new MemoryBlobStore();
const memoryRef: BlobRef = await putChunked(memoryStore, data, { chunkSize: CHUNK });
add('memory get', async () => void (await getChunked(memoryStore, memoryRef)));

let file: FileBlobStore | undefined;
add('file put', async () => void (await putChunked(file!, data, { chunkSize: CHUNK })), async () => {
  await file?.close();
  file = await FileBlobStore.open(scratchDir());
});
const fileStore = await FileBlobStore.open(freshDir());
const fileRef = await putChunked(fileStore, data, { chunkSize: CHUNK });
add('file get', async () => void (await getChunked(fileStore, fileRef)));

add('sha256 one pass', () => void createHash('sha256').update(data).digest('hex'));
add('cdc chunking avg 64 KiB', () => void cdcCutPoints(data, 64 * 1024));
add('cdc chunking avg 1 MiB', () => void cdcCutPoints(data, MiB));
let cdcStore = new MemoryBlobStore();
add('memory put cdc 1 MiB', async () => void (await putChunked(cdcStore, data, { chunking: 'cdc', chunkSize: CHUNK })), async () => {
  cdcStore = new MemoryBlobStore();
});

for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases.values()) {
    await c.setup?.();
    execFileSync('sync'); // untimed: the previous case's dirty pages are not written back during this one
    const start = performance.now();
    await c.run();
    c.times.push(performance.now() - start);
  }
  await file?.close();
  file = undefined;
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
}
await file?.close();
await fileStore.close();
await rm(root, { recursive: true, force: true });

const mbps = (name: string): number => {
  const times = [...cases.get(name)!.times].sort((a, b) => a - b);
  return SIZE / MiB / (times[Math.floor(times.length / 2)]! / 1000);
};
const line = (ours: string, peer: string): void =>
  console.log(`${ours}: ${mbps(ours).toFixed(0)} MB/s | ${peer}: ${mbps(peer).toFixed(0)} MB/s | ratio ${(mbps(ours) / mbps(peer)).toFixed(2)}`);

console.log(`# @statemesh/blob-store bench: ${SIZE / MiB} MiB of random bytes, 1 MiB chunks, median of ${ROUNDS} interleaved rounds (node ${process.version})`);
line('memory put', 'writeFile+sha256 floor');
line('memory get', 'readFile+sha256 floor');
line('file put', 'writeFile+sha256 floor');
line('file put', 'durable write+sha256 floor');
line('file get', 'readFile+sha256 floor');
line('memory put', 'in-memory sha256+copy floor');
line('memory get', 'in-memory sha256+copy floor');
line('cdc chunking avg 64 KiB', 'sha256 one pass');
line('cdc chunking avg 1 MiB', 'sha256 one pass');
line('memory put cdc 1 MiB', 'memory put');
