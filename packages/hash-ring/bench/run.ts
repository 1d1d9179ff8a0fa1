// Lookups per second, balance and keys moved: @statemesh/hash-ring beside the `hashring` (ketama, md5) and
// `consistent-hash` npm packages, on the same keys in the same run. Medians of several runs.
// Run: pnpm bench (in packages/hash-ring).
import { createRequire } from 'node:module';
import { HashPartition, HashRing } from '@statemesh/hash-ring';

interface Ketama {
  get(key: string): string;
  add(server: string): void;
}
interface ConsistentHash {
  get(key: string): string | null;
  add(node: string, points?: number): ConsistentHash;
}
const require = createRequire(import.meta.url);
const KetamaRing = require('hashring') as new (servers: string[], algorithm?: string, options?: object) => Ketama;
const ConsistentHashRing = require('consistent-hash') as new (options?: object) => ConsistentHash;

const RUNS = 7;
const KEYS = Array.from({ length: 200_000 }, (_, i) => `scene.obj.${i}.prop`);
const VNODES = 160;

type Lookup = (key: string) => string | null | undefined;
interface Contender {
  readonly name: string;
  make(nodes: string[]): { lookup: Lookup; add(node: string): void };
}

const contenders: Contender[] = [
  {
    name: 'HashPartition.uniform',
    make(nodes) {
      let partition = HashPartition.uniform(nodes);
      return {
        lookup: (key) => partition.ownerOf(key),
        add: (node) => {
          partition = HashPartition.uniform([...nodes, node]);
        },
      };
    },
  },
  {
    name: 'HashRing',
    make(nodes) {
      const ring = new HashRing({ vnodes: VNODES });
      for (const node of nodes) ring.add(node);
      return { lookup: (key) => ring.ownerOf(key), add: (node) => void ring.add(node) };
    },
  },
  {
    // 40 vnodes × 4 points per md5 = 160 ring points per server, the library's default; its LRU cache (5000
    // entries) rarely hits here because every run looks up 200 000 distinct keys.
    name: 'hashring (ketama)',
    make(nodes) {
      const ring = new KetamaRing(nodes);
      return { lookup: (key) => ring.get(key), add: (node) => ring.add(node) };
    },
  },
  {
    name: 'consistent-hash',
    make(nodes) {
      const ring = new ConsistentHashRing();
      for (const node of nodes) ring.add(node, VNODES);
      return { lookup: (key) => ring.get(key), add: (node) => void ring.add(node, VNODES) };
    },
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

let sink = 0;
function lookupsPerSecond(lookup: Lookup, keys: readonly string[]): number {
  const rates: number[] = [];
  for (let i = 0; i < keys.length; i++) sink += lookup(keys[i]!)?.length ?? 0; // warm-up
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < keys.length; i++) sink += lookup(keys[i]!)?.length ?? 0;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(keys.length / seconds);
  }
  return median(rates);
}

function balance(lookup: Lookup, nodes: string[]): { cv: number; maxOverMean: number } {
  const counts = new Map(nodes.map((node) => [node, 0]));
  for (const key of KEYS) {
    const owner = lookup(key)!;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const values = [...counts.values()];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { cv: sd / mean, maxOverMean: Math.max(...values) / mean };
}

function moved(contender: Contender, nodes: string[]): number {
  const made = contender.make(nodes);
  const before = KEYS.map(made.lookup);
  made.add(`node-${nodes.length}`);
  let count = 0;
  for (let i = 0; i < KEYS.length; i++) if (made.lookup(KEYS[i]!) !== before[i]) count++;
  return count / KEYS.length;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const [partition, ring, ketama, consistent] = contenders as [Contender, Contender, Contender, Contender];

console.log(`node ${process.version}, ${KEYS.length} keys "scene.obj.<i>.prop", median of ${RUNS} runs\n`);
for (const count of [10, 100]) {
  const nodes = Array.from({ length: count }, (_, i) => `node-${i}`);
  const rate = new Map(contenders.map((c) => [c.name, lookupsPerSecond(c.make(nodes).lookup, KEYS)]));
  console.log(`ownerOf per second, ${count} nodes (${VNODES} ring points per node), string hashing included:`);
  for (const c of contenders) console.log(`  ${c.name.padEnd(22)} ${fmt(rate.get(c.name)!).padStart(12)} /s`);
  for (const ours of [partition, ring]) {
    for (const theirs of [ketama, consistent]) {
      const ratio = rate.get(ours.name)! / rate.get(theirs.name)!;
      console.log(`  ${ours.name} / ${theirs.name}: ${ratio.toFixed(2)}x`);
    }
  }
  console.log('');
}

const ten = Array.from({ length: 10 }, (_, i) => `node-${i}`);
console.log(`balance, 10 nodes × ${VNODES} ring points, ${KEYS.length} keys (coefficient of variation, max/mean):`);
for (const c of contenders) {
  const { cv, maxOverMean } = balance(c.make(ten).lookup, ten);
  console.log(`  ${c.name.padEnd(22)} cv ${pct(cv).padStart(7)}  max/mean ${maxOverMean.toFixed(3)}`);
}
console.log(`\nkeys moved when an 11th node joins 10 (ideal ${pct(1 / 11)}):`);
for (const c of contenders) {
  const fraction = moved(c, ten);
  console.log(`  ${c.name.padEnd(22)} ${pct(fraction).padStart(7)}  (${(fraction * 11).toFixed(2)}x ideal)`);
}
if (sink === -1) console.log(sink);
