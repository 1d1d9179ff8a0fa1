// Throughput of @statemesh/hlc beside the physical ceiling (Date.now() alone) and beside @consento/hlc, all
// measured in the same process and the same run. Usage: pnpm bench [runs] [ms per case]
import ConsentoHlc from '@consento/hlc';
import { HybridClock, type HybridTime, decode, encode } from '@statemesh/hlc';

const RUNS = Number(process.argv[2] ?? 7);
const CASE_MS = Number(process.argv[3] ?? 150);
const POOL = 4096; // remote times / timestamps cycled through, a power of two
let sink = 0; // every loop folds its results in here so the optimiser cannot drop the work

/** Operations per second of `body`, which runs `n` operations per call, over about `ms` milliseconds. */
function opsPerSecond(body: (n: number) => number, ms: number): number {
  let n = 1024;
  let ops = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < until) {
    sink ^= body(n);
    ops += n;
    now = process.hrtime.bigint();
    if (n < 1 << 20 && now - start < 10_000_000n) n *= 2;
  }
  return ops / (Number(now - start) / 1e9);
}

/** One round of every case; fresh clocks and inputs each round. */
function round(ms: number): Record<string, number> {
  const base = Date.now();
  const ours = new HybridClock();
  // The same clock with a custom physical clock, which is read on every event (no reuse of readings).
  const oursEveryRead = new HybridClock({ now: () => Date.now() });
  const peer = new ConsentoHlc();
  // Remote times near the local clock: some behind, some ahead (within any drift bound), some equal.
  const remoteMs = Array.from({ length: POOL }, (_, i) => base + ((i * 7919) % 41) - 20);
  const ourRemotes: HybridTime[] = remoteMs.map((wallMs, i) => ({ wallMs, logical: i % 5 }));
  const peerRemotes = remoteMs.map((wallMs, i) => new ConsentoHlc.Timestamp(BigInt(wallMs) * 1_000_000n, i % 5));
  const ourTimes = Array.from({ length: POOL }, () => ours.now());
  const peerTimes = Array.from({ length: POOL }, () => peer.now());
  return {
    'Date.now()': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += Date.now();
      return s;
    }, ms),
    'now() ours': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += ours.now().logical;
      return s;
    }, ms),
    'now() ours, Date.now() per event': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += oursEveryRead.now().logical;
      return s;
    }, ms),
    'now() @consento/hlc': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += peer.now().logical;
      return s;
    }, ms),
    'update() ours': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += ours.update(ourRemotes[i & (POOL - 1)]!).logical;
      return s;
    }, ms),
    'update() ours, Date.now() per event': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += oursEveryRead.update(ourRemotes[i & (POOL - 1)]!).logical;
      return s;
    }, ms),
    'update() @consento/hlc': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        peer.update(peerRemotes[i & (POOL - 1)]!);
        s += peer.last.logical;
      }
      return s;
    }, ms),
    'encode+decode ours': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += decode(encode(ourTimes[i & (POOL - 1)]!)).logical;
      return s;
    }, ms),
    'encode+decode @consento/hlc': opsPerSecond((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += ConsentoHlc.codec.decode(ConsentoHlc.codec.encode(peerTimes[i & (POOL - 1)]!)).logical;
      return s;
    }, ms),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const mops = (opsPerSec: number) => `${(opsPerSec / 1e6).toFixed(2)} M/s`;

round(50); // warm-up: let the JIT compile every case before measuring
const samples: Record<string, number[]> = {};
for (let r = 0; r < RUNS; r++) {
  for (const [name, value] of Object.entries(round(CASE_MS))) (samples[name] ??= []).push(value);
}
const m = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)])) as Record<string, number>;

console.log(`@statemesh/hlc bench: median of ${RUNS} runs, ${CASE_MS} ms per case, node ${process.version}`);
for (const [name, value] of Object.entries(m)) console.log(`  ${name.padEnd(36)} ${mops(value)}`);
const ratio = (label: string, ours: string, theirs: string, goal: number) => {
  const r = m[ours]! / m[theirs]!;
  console.log(`  ${label.padEnd(42)} ${mops(m[ours]!)} / ${mops(m[theirs]!)} = ${r.toFixed(2)}x (goal >= ${goal}x: ${r >= goal ? 'met' : 'MISSED'})`);
};
console.log('ratios (ours / reference, same run):');
ratio('now() vs @consento/hlc', 'now() ours', 'now() @consento/hlc', 1.5);
ratio('now() vs Date.now() (physical ceiling)', 'now() ours', 'Date.now()', 0.5);
ratio('update() vs @consento/hlc', 'update() ours', 'update() @consento/hlc', 1.3);
console.log('the same with a custom clock that reads Date.now() on every event (no reuse of readings):');
ratio('now() vs @consento/hlc', 'now() ours, Date.now() per event', 'now() @consento/hlc', 1.5);
ratio('now() vs Date.now() (physical ceiling)', 'now() ours, Date.now() per event', 'Date.now()', 0.5);
ratio('update() vs @consento/hlc', 'update() ours, Date.now() per event', 'update() @consento/hlc', 1.3);
ratio('encode+decode vs @consento/hlc', 'encode+decode ours', 'encode+decode @consento/hlc', 1);
if (sink === 0.5) console.log(''); // keeps `sink` observable
