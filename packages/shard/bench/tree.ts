// Benchmarks of the path tree and the hot paths (issue 14), each beside a peer or a floor measured in the same
// run: subtree delete and entries(prefix) against a flat Map scan (what a flat replica costs) and a Map lookup
// floor; get against Map.get; remote apply against Yjs applyUpdate of the same keys in one update, and against a
// plain Map<string, {value, hlc, origin}> last-writer-wins loop over the same mutations. Medians of RUNS runs.
import { isUnder } from '@statemesh/contracts';
import type { CheckedMutation } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import * as Y from 'yjs';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7));
const OBJECTS = Math.max(1, Math.round(Math.sqrt(N)));
const KEYS = Math.ceil(N / OBJECTS);

/** `scene.objI.kJ`: OBJECTS objects of KEYS keys each; joined, so flat strings as a decoder makes them. */
const leaf = (i: number): string => ['scene', `obj${Math.floor(i / KEYS)}`, `k${i % KEYS}`].join('.');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median over RUNS runs (after one warm-up) of `fn`'s time divided by `per`. */
function timed(per: number, fn: (run: number) => void): number {
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const start = performance.now();
    fn(run);
    const ms = performance.now() - start;
    if (run > 0) times.push(ms / per);
  }
  return median(times);
}

function show(name: string, ours: number, peerName: string, peer: number, unit: string, goal: string): void {
  const fmt = (v: number): string => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 1 ? v.toFixed(2) : v.toPrecision(3));
  console.log(`${name}: statemesh ${fmt(ours)} ${unit} | ${peerName} ${fmt(peer)} ${unit} | ratio ${(peer / ours).toFixed(2)}x | goal ${goal}`);
}

function filled(): Shard {
  const shard = new Shard({ clusterId: 'bench', nodeId: 'a' });
  for (let i = 0; i < N; i++) shard.set(leaf(i), i);
  shard.drain();
  return shard;
}

export function benchTree(): void {
  const shard = filled();
  const flat = new Map<string, number>();
  for (let i = 0; i < N; i++) flat.set(leaf(i), i);
  // The first walk after N new paths places them in order (a sort); measured once, beside a sort of the same keys.
  let start = performance.now();
  shard.entries('scene.obj0');
  const firstWalk = performance.now() - start;
  const keys = [...flat.keys()];
  start = performance.now();
  keys.sort();
  const sortFloor = performance.now() - start;
  show(`first subtree walk after ${N.toLocaleString('en-US')} new paths (places them in order, once)`, firstWalk, 'sort of the same paths', sortFloor, 'ms', 'none (one-off)');

  const DELETES = 200;
  let next = 0;
  const ours = timed(DELETES, () => {
    for (let d = 0; d < DELETES; d++) shard.delete(leaf((next++ * 7919) % N));
  });
  let scanNext = 0;
  const scan = timed(1, () => {
    const path = leaf((scanNext++ * 104_729) % N);
    for (const key of flat.keys()) if (isUnder(key, path)) flat.delete(key);
  });
  show(`delete of a one-leaf subtree in a ${N.toLocaleString('en-US')}-entry tree`, ours, 'flat Map scan', scan, 'ms', '<= 0.05 ms');

  const entriesOurs = timed(1, (run) => {
    if (shard.entries(`scene.obj${run + 1}`).length < KEYS - 5) throw new Error('entries lost');
  });
  const entriesScan = timed(1, (run) => {
    const prefix = `scene.obj${run + 1}`;
    const out: number[] = [];
    for (const [key, value] of flat) if (isUnder(key, prefix)) out.push(value);
  });
  show(`entries(prefix) answering ${KEYS.toLocaleString('en-US')} of ${N.toLocaleString('en-US')}`, entriesOurs, 'flat Map scan', entriesScan, 'ms', '<= 1 ms');
  // The floor reads another object's paths each run, cold like those of entries().
  const lookups = (run: number): string[] => Array.from({ length: KEYS }, (_, k) => ['scene', `obj${(run + 1 + Math.floor(OBJECTS / 2)) % OBJECTS}`, `k${k}`].join('.'));
  const lists = Array.from({ length: RUNS + 1 }, (_, run) => lookups(run));
  const floor = timed(1, (run) => {
    const out: unknown[] = [];
    for (const key of lists[run]!) out.push({ path: key, value: flat.get(key) });
  });
  show(`entries(prefix) answering ${KEYS.toLocaleString('en-US')}, beside Map.get of the same ${KEYS.toLocaleString('en-US')} paths`, entriesOurs, 'Map.get floor', floor, 'ms', 'none (floor)');
}

export function benchGet(): void {
  const GETS = 1_000_000;
  {
    // The code path alone: a 1 000-entry shard and Map, nothing else in the heap.
    const small = Array.from({ length: 1000 }, (_, i) => ['scene', `obj${i % 50}`, `k${i}`].join('.'));
    const shard = new Shard({ clusterId: 'bench', nodeId: 'a' });
    const map = new Map<string, { value: unknown; hlc: bigint; origin: string }>();
    small.forEach((path, i) => {
      shard.set(path, i);
      map.set(path, { value: i, hlc: BigInt(i), origin: 'a' });
    });
    const readShard = (): number => {
      let sum = 0;
      for (let i = 0; i < GETS; i++) sum += shard.get(small[i % 1000]!)!.value as number;
      return sum;
    };
    const readSmallMap = (): number => {
      let sum = 0;
      for (let i = 0; i < GETS; i++) sum += map.get(small[i % 1000]!)!.value as number;
      return sum;
    };
    let total = 0;
    const ours = timed(GETS, () => void (total += readShard()));
    const peer = timed(GETS, () => void (total += readSmallMap()));
    show('get of a small JSON value (a number) in a 1 000-entry shard, alone in the heap', ours * 1000, 'Map.get of {value, hlc, origin}', peer * 1000, 'µs', '<= 0.3 µs');
    if (total === -1) console.log(total);
  }
  // Cold: 100 000 paths spread over the whole tree; hot: 1 000 paths read again and again (a view's few values).
  const cold = Array.from({ length: Math.min(N, 100_000) }, (_, i) => leaf((i * 7919) % N));
  const hot = cold.slice(0, 1000);
  const local = filled();
  const remote = new Shard({ clusterId: 'bench', nodeId: 'b' });
  {
    const source = new Shard({ clusterId: 'bench', nodeId: 's' });
    for (let i = 0; i < N; i++) source.set(leaf(i), { x: i, y: 'v' });
    for (let drained = source.drain(1000); drained.length > 0; drained = source.drain(1000)) remote.apply(drained, 's');
  }
  const lww = new Map<string, { value: unknown; hlc: bigint; origin: string }>();
  for (let i = 0; i < N; i++) lww.set(leaf(i), { value: i, hlc: BigInt(i), origin: 'a' });
  // Each loop sums into a local and returns it (a sum kept outside the loop costs more than a Map.get).
  const readLocal = (paths: readonly string[]): number => {
    let sum = 0;
    for (let i = 0; i < GETS; i++) sum += local.get(paths[i % paths.length]!)!.value as number;
    return sum;
  };
  const readRemote = (paths: readonly string[]): number => {
    let sum = 0;
    for (let i = 0; i < GETS; i++) sum += (remote.get(paths[i % paths.length]!)!.value as { x: number }).x;
    return sum;
  };
  const readMap = (paths: readonly string[]): number => {
    let sum = 0;
    for (let i = 0; i < GETS; i++) sum += lww.get(paths[i % paths.length]!)!.value as number;
    return sum;
  };
  let sink = 0;
  for (const [name, paths] of [['hot, 1 000 paths', hot], [`cold, ${cold.length.toLocaleString('en-US')} paths of ${N.toLocaleString('en-US')}`, cold]] as const) {
    const ours = timed(GETS, () => void (sink += readLocal(paths)));
    const objects = timed(GETS, () => void (sink += readRemote(paths)));
    const peer = timed(GETS, () => void (sink += readMap(paths)));
    show(`get of a small JSON value (a number written here), ${name}`, ours * 1000, 'Map.get of {value, hlc, origin}', peer * 1000, 'µs', '<= 0.3 µs');
    show(`get of a small JSON object received from a peer (decoded once), ${name}`, objects * 1000, 'Map.get of {value, hlc, origin}', peer * 1000, 'µs', '<= 0.3 µs');
  }
  if (sink === -1) console.log(sink);
}

interface Plain {
  value: Uint8Array;
  hlc: bigint;
  origin: string;
}

export function benchApply(): void {
  const BATCH = 1000;
  const batches: CheckedMutation[][] = [];
  {
    const source = new Shard({ clusterId: 'bench', nodeId: 'a' });
    for (let i = 0; i < N; i++) {
      source.set(leaf(i), i);
      if ((i + 1) % BATCH === 0 || i === N - 1) batches.push(source.drain());
    }
  }
  let update: Uint8Array;
  {
    const doc = new Y.Doc();
    const map = doc.getMap('state');
    doc.transact(() => {
      for (let i = 0; i < N; i++) map.set(leaf(i), i);
    });
    update = Y.encodeStateAsUpdate(doc);
    doc.destroy();
  }
  const ours = timed(1, () => {
    const target = new Shard({ clusterId: 'bench', nodeId: 'b' });
    for (const batch of batches) target.apply(batch, 'a');
  });
  const yjs = timed(1, () => {
    Y.applyUpdate(new Y.Doc(), update);
  });
  const plain = timed(1, () => {
    const map = new Map<string, Plain>();
    for (const batch of batches) {
      for (const m of batch) {
        const current = map.get(m.path);
        if (current !== undefined && (current.hlc > m.hlc || (current.hlc === m.hlc && current.origin >= m.origin))) continue;
        map.set(m.path, { value: m.payload as Uint8Array, hlc: m.hlc, origin: m.origin });
      }
    }
  });
  const rate = (ms: number): number => N / (ms / 1000);
  console.log(
    `remote apply of ${N.toLocaleString('en-US')} mutations (batches of ${BATCH}): statemesh ${Math.round(rate(ours)).toLocaleString('en-US')}/s | ` +
      `Yjs applyUpdate of the same keys in one update ${Math.round(rate(yjs)).toLocaleString('en-US')}/s (statemesh ${(yjs / ours).toFixed(2)}x, goal >= 5x) | ` +
      `plain Map LWW loop ${Math.round(rate(plain)).toLocaleString('en-US')}/s (statemesh ${(plain / ours).toFixed(2)}x, goal >= 0.6x)`,
  );
}
