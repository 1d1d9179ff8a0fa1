// How long putChunked holds the event loop for one large value, before and after it learnt to work one chunk at
// a time, beside the floor (SHA-256 of the same bytes), all measured in the same run.
// `pnpm bench:event-loop` in this package (BENCH_MIB, default 20; BENCH_RUNS, default 7). Medians over the runs.
// "Before" is what putChunked did synchronously before its first await: cut the whole value (cdcCutPoints), then
// hash the first chunk. "Now" is the longest gap a setImmediate ticker sees while putChunked runs.
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MemoryBlobStore, cdcCutPoints, putChunked } from '@statemesh/blob-store';

const MiB = 1024 * 1024;
const SIZE = Number(process.env['BENCH_MIB'] ?? 20) * MiB;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const bytes = randomBytes(SIZE);
const floors: number[] = [];
const before: number[] = [];
const gaps: number[] = [];
const totals: number[] = [];
for (let run = 0; run < RUNS; run++) {
  bytes[0] = run;
  let started = performance.now();
  createHash('sha256').update(bytes).digest();
  floors.push(performance.now() - started);

  started = performance.now();
  const ends = cdcCutPoints(bytes, MiB);
  createHash('sha256').update(bytes.subarray(0, ends[0])).digest();
  before.push(performance.now() - started);

  const store = new MemoryBlobStore();
  let gap = 0;
  let last = performance.now();
  let ticking = true;
  const tick = (): void => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  started = performance.now();
  await putChunked(store, bytes, { chunking: 'cdc' });
  totals.push(performance.now() - started);
  ticking = false;
  gaps.push(gap);
}
const floor = median(floors);
const row = (name: string, ms: number): string => `${name.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / floor).toFixed(1).padStart(5)}× the floor`;
console.log(`putChunked of ${SIZE / MiB} MiB (random bytes, cdc, raw codec, memory store), medians of ${RUNS} runs; Node ${process.version}`);
console.log(row('floor: SHA-256 of the same bytes', floor));
console.log(row('before: held synchronously (cut the whole value first)', median(before)));
console.log(row('now: longest event-loop gap while putChunked runs', median(gaps)));
console.log(row('now: putChunked until stored', median(totals)));
