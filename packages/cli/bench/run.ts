// How long `session.setBytes` of a large value holds the event loop, beside the floor: SHA-256 of the same bytes,
// measured in the same run. `pnpm bench` in this package (BENCH_MIB, default 20; BENCH_RUNS, default 7).
// Each run writes a fresh value and records the longest event-loop gap from the call until its chunks are stored
// (a setImmediate ticker) and the time of the synchronous call itself; figures are medians over the runs.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { join } from '@statemesh/session';

const MiB = 1024 * 1024;
const SIZE = Number(process.env['BENCH_MIB'] ?? 20) * MiB;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-cli-bench-'));
const session = await join({ clusterId: 'bench', nodeId: 'a', listen: joinPath(dir, 'a.sock') });
const bytes = randomBytes(SIZE);
const floors: number[] = [];
const calls: number[] = [];
const gaps: number[] = [];
const stored: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    bytes[0] = run; // a new value each run: no chunk is already stored
    let started = performance.now();
    createHash('sha256').update(bytes).digest();
    floors.push(performance.now() - started);

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
    session.setBytes(`bench.v${run}`, bytes);
    calls.push(performance.now() - started);
    // Stored when the tree holds the value's blob reference instead of its bytes (the offload finished).
    while (session.get(`bench.v${run}`)?.ref === undefined && performance.now() - started < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    stored.push(performance.now() - started);
    ticking = false;
    gaps.push(gap);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
} finally {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
}
const floor = median(floors);
const row = (name: string, ms: number): string => `${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / floor).toFixed(1).padStart(5)}× the floor`;
console.log(`setBytes of ${SIZE / MiB} MiB (random bytes), medians of ${RUNS} runs; Node ${process.version}`);
console.log(row('floor: SHA-256 of the same bytes', floor));
console.log(row('setBytes: the synchronous call', median(calls)));
console.log(row('setBytes: longest event-loop gap', median(gaps)));
console.log(row('setBytes: until the chunks are stored', median(stored)));
console.log(`first run: call ${calls[0]!.toFixed(1)} ms, longest gap ${gaps[0]!.toFixed(1)} ms`);
