// Benchmarks of @statemesh/shard beside Yjs (Y.Map), on the same keys and values, measured in the same run.
// Run: `pnpm bench` (node --expose-gc, so heap per entry can be measured). BENCH_N and BENCH_RUNS scale it,
// BENCH_ONLY picks sections. Each series runs once untimed first (warm-up); no forced GC between timed runs, as
// that shrinks V8's young generation and penalises whatever runs next.
import type { CheckedMutation, SnapshotPage } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import * as Y from 'yjs';
import { benchApply, benchGet, benchTree } from './tree.ts';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BATCH = 1000;
const gc = (globalThis as { gc?: () => void }).gc;

const key = (i: number): string => `scene.obj${i}.value`;

/** Median of the timed runs; the first run of each series is a warm-up and is left out. */
function median(values: number[]): number {
  const sorted = values.slice(values.length > 1 ? 1 : 0).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function collect(): void {
  if (gc !== undefined) for (let i = 0; i < 3; i++) gc();
}

function heap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

function line(name: string, ours: number, peer: number, unit: string, higherIsBetter: boolean): void {
  const ratio = higherIsBetter ? ours / peer : peer / ours;
  const fmt = (v: number): string => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  console.log(`${name}: statemesh ${fmt(ours)} ${unit} | yjs ${fmt(peer)} ${unit} | statemesh is ${ratio.toFixed(2)}x ${higherIsBetter ? 'faster' : 'better'}`);
}

function filledShard(nodeId: string, n = N): Shard {
  const shard = new Shard({ clusterId: 'bench', nodeId });
  for (let i = 0; i < n; i++) shard.set(key(i), i);
  shard.drain();
  return shard;
}

function filledDoc(n = N): Y.Doc {
  const doc = new Y.Doc();
  const map = doc.getMap('state');
  doc.transact(() => {
    for (let i = 0; i < n; i++) map.set(key(i), i);
  });
  return doc;
}

function benchLocalSet(): void {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    ours.push(
      time(() => {
        const shard = new Shard({ clusterId: 'bench', nodeId: 'a' });
        for (let i = 0; i < N; i++) shard.set(key(i), i);
      }),
    );
    theirs.push(time(() => void filledDoc()));
  }
  line(`local set, ${N.toLocaleString('en-US')} distinct paths`, N / (median(ours) / 1000), N / (median(theirs) / 1000), 'sets/s', true);
}

function benchRemoteApply(): void {
  // Ours: the source's drained mutations in batches of 1000. Yjs: one update per 1000-key transaction.
  // Only the inputs stay alive while timing (the source replica and document are dropped).
  const batches: CheckedMutation[][] = [];
  {
    const source = new Shard({ clusterId: 'bench', nodeId: 'a' });
    for (let i = 0; i < N; i++) {
      source.set(key(i), i);
      if ((i + 1) % BATCH === 0 || i === N - 1) batches.push(source.drain());
    }
  }
  const updates: Uint8Array[] = [];
  {
    const doc = new Y.Doc();
    doc.on('update', (update: Uint8Array) => updates.push(update));
    const map = doc.getMap('state');
    for (let i = 0; i < N; i += BATCH) {
      doc.transact(() => {
        for (let j = i; j < Math.min(N, i + BATCH); j++) map.set(key(j), j);
      });
    }
    doc.destroy();
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    ours.push(
      time(() => {
        const target = new Shard({ clusterId: 'bench', nodeId: 'b' });
        for (const batch of batches) target.apply(batch, 'a');
      }),
    );
    theirs.push(
      time(() => {
        const target = new Y.Doc();
        for (const update of updates) Y.applyUpdate(target, update);
      }),
    );
  }
  line(`remote apply, ${N.toLocaleString('en-US')} mutations in batches of ${BATCH}`, N / (median(ours) / 1000), N / (median(theirs) / 1000), 'mutations/s', true);

  // Yjs as the issue measured it: one update per key (a remote change arriving on its own), on the first tenth.
  const single = Math.max(1, Math.floor(N / 10));
  const singleUpdates: Uint8Array[] = [];
  {
    const doc = new Y.Doc();
    doc.on('update', (update: Uint8Array) => singleUpdates.push(update));
    const map = doc.getMap('state');
    for (let i = 0; i < single; i++) map.set(key(i), i);
    doc.destroy();
  }
  const theirsSingle: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    theirsSingle.push(
      time(() => {
        const target = new Y.Doc();
        for (const update of singleUpdates) Y.applyUpdate(target, update);
      }),
    );
  }
  line(
    `remote apply, ours in batches of ${BATCH} (${N.toLocaleString('en-US')}) vs Yjs one update per key (${single.toLocaleString('en-US')})`,
    N / (median(ours) / 1000),
    single / (median(theirsSingle) / 1000),
    'mutations/s',
    true,
  );
}

function benchSnapshot(): void {
  // Each side is measured with only its own replica alive, so neither pays for the other's heap.
  const produceOurs: number[] = [];
  const applyOurs: number[] = [];
  {
    const shard = filledShard('a');
    for (let run = 0; run <= RUNS; run++) {
      // Produce: pages streamed as a transport sends them (each encoded and dropped); apply: from pages held in memory.
      let streamed = 0;
      produceOurs.push(
        time(() => {
          for (const page of shard.snapshot([], { pageSize: 10_000 })) streamed += page.entries.length;
        }),
      );
      if (streamed !== N) throw new Error(`snapshot streamed ${streamed} entries`);
      let pages: SnapshotPage[] = [...shard.snapshot([], { pageSize: 10_000 })];
      applyOurs.push(
        time(() => {
          const target = new Shard({ clusterId: 'bench', nodeId: 'b' });
          for (const page of pages) target.applyPage(page, 'a');
        }),
      );
      pages = [];
    }
  }
  const produceTheirs: number[] = [];
  const applyTheirs: number[] = [];
  {
    const doc = filledDoc();
    for (let run = 0; run <= RUNS; run++) {
      let update: Uint8Array = new Uint8Array();
      produceTheirs.push(time(() => void (update = Y.encodeStateAsUpdate(doc))));
      applyTheirs.push(time(() => Y.applyUpdate(new Y.Doc(), update)));
    }
    doc.destroy();
  }
  line(`snapshot of ${N.toLocaleString('en-US')} entries, produce (streamed in pages of 10 000)`, median(produceOurs), median(produceTheirs), 'ms', false);
  line(`snapshot of ${N.toLocaleString('en-US')} entries, apply to an empty replica`, median(applyOurs), median(applyTheirs), 'ms', false);
}

function benchSince(): void {
  const behind = Math.floor(N / 100);
  const cases: { name: string; prepare: (shard: Shard, doc: Y.Doc) => void; changed: number }[] = [
    {
      name: `since for a peer 1% behind (${behind.toLocaleString('en-US')} of ${N.toLocaleString('en-US')} new entries)`,
      changed: behind,
      prepare: () => {},
    },
    {
      name: `since for 100 changed entries in ${N.toLocaleString('en-US')}`,
      changed: 100,
      prepare: () => {},
    },
  ];
  for (const c of cases) {
    // Ours: a vector taken before the last `changed` writes. Yjs: the state vector at the same point.
    const shard = new Shard({ clusterId: 'bench', nodeId: 'a' });
    const doc = new Y.Doc();
    const map = doc.getMap('state');
    const fresh = c.changed === behind;
    const base = fresh ? N - behind : N;
    for (let i = 0; i < base; i++) shard.set(key(i), i);
    shard.drain();
    doc.transact(() => {
      for (let i = 0; i < base; i++) map.set(key(i), i);
    });
    const vector = shard.vector();
    const stateVector = Y.encodeStateVector(doc);
    const paths = Array.from({ length: c.changed }, (_, i) => (fresh ? base + i : (i * 9973) % N));
    for (const i of paths) shard.set(key(i), -i);
    shard.drain();
    doc.transact(() => {
      for (const i of paths) map.set(key(i), -i);
    });
    const ours: number[] = [];
    const theirs: number[] = [];
    let count = 0;
    for (let run = 0; run < RUNS * 3; run++) {
      ours.push(time(() => void (count = [...shard.since(vector, { pageSize: 10_000 })].reduce((sum, page) => sum + page.entries.length, 0))));
      theirs.push(time(() => void Y.encodeStateAsUpdate(doc, stateVector)));
    }
    if (count !== c.changed) throw new Error(`since returned ${count} entries, expected ${c.changed}`);
    line(c.name, median(ours), median(theirs), 'ms', false);
  }
}

function benchHeap(): void {
  if (gc === undefined) {
    console.log('heap per entry: skipped (run node with --expose-gc, as `pnpm bench` does)');
    return;
  }
  // Keys and values are made inside each loop, so what a structure retains of them is counted.
  const base = heap();
  let remote: Shard | undefined = new Shard({ clusterId: 'bench', nodeId: 'b' });
  {
    const source = new Shard({ clusterId: 'bench', nodeId: 'a' });
    for (let i = 0; i < N; i++) {
      source.set(key(i), i);
      if ((i + 1) % BATCH === 0 || i === N - 1) remote.apply(source.drain(), 'a');
    }
  }
  const remoteBytes = (heap() - base) / N;
  if (remote.size !== N) throw new Error('lost entries');
  remote = undefined;

  const before = heap();
  let shard: Shard | undefined = filledShard('a');
  const ours = (heap() - before) / N;
  if (shard.size !== N) throw new Error('lost entries');
  shard = undefined;
  const mid = heap();
  let doc: Y.Doc | undefined = filledDoc();
  const theirs = (heap() - mid) / N;
  doc.destroy();
  doc = undefined;
  line(`heap per entry, ${N.toLocaleString('en-US')} entries written locally (key, value and version)`, ours, theirs, 'bytes', false);
  line(`heap per entry, ${N.toLocaleString('en-US')} entries applied from remote batches`, remoteBytes, theirs, 'bytes', false);
}

console.log(`@statemesh/shard bench: N=${N}, medians of ${RUNS} runs after a warm-up, node ${process.version}, yjs beside us in the same process`);
// BENCH_ONLY=heap,set,apply,snapshot,since,tree,get,lww picks sections.
const only = new Set((process.env.BENCH_ONLY ?? 'heap,set,apply,snapshot,since,tree,get,lww').split(','));
if (only.has('heap')) benchHeap();
if (only.has('set')) benchLocalSet();
if (only.has('apply')) benchRemoteApply();
if (only.has('snapshot')) benchSnapshot();
if (only.has('since')) benchSince();
if (only.has('tree')) benchTree();
if (only.has('get')) benchGet();
if (only.has('lww')) benchApply();
