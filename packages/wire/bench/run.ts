// Encode and decode of a batch of 1 000 typical mutations: @statemesh/wire (protobuf, validated both ways) beside
// JSON.stringify / JSON.parse of the same batch, measured in the same run. Medians of several runs.
// Run: pnpm bench (in packages/wire).
import type { Mutation } from '@statemesh/contracts';
import { FRAME_KIND, decodeFrameBody, encodeFrameBody, encodeIpcFrame, IpcFrameDecoder } from '@statemesh/wire';
import type { MutationsFrame } from '@statemesh/wire';

const RUNS = 9;
const BATCH = 1000;
const SLICE_MS = 150;

// A typical batch: JSON values of 20-60 bytes under a few hundred paths, from 3 origins, each with its prev.
function typicalBatch(): Mutation[] {
  const origins = ['node-a', 'node-b', 'worker-17'];
  const base = BigInt(Date.UTC(2026, 10, 24)) << 16n;
  const mutations: Mutation[] = [];
  for (let i = 0; i < BATCH; i++) {
    const origin = origins[i % origins.length]!;
    const value = i % 10 === 9 ? null : { x: i * 0.25, y: -i, label: `item ${i}` };
    mutations.push({
      hlc: base + BigInt(i * 7),
      origin,
      seq: 100_000 + i,
      path: `scene.objects.item${i % 300}.${i % 2 === 0 ? 'position' : 'color'}`,
      op: i % 50 === 49 ? 'delete' : 'set',
      type: i % 50 === 49 ? '' : 'json',
      ...(i % 50 === 49 ? {} : { payload: new TextEncoder().encode(JSON.stringify(value)) }),
      prev: { hlc: base + BigInt(i * 7 - 3), origin: origins[(i + 1) % origins.length]!, seq: 99_000 + i },
    });
  }
  return mutations;
}

// The JSON peer gets the same batch in its friendliest form (hlc as a decimal string, bytes as base64), made once
// outside the timed loop; restoring bigint and bytes after JSON.parse is not timed either.
function jsonFriendly(mutations: Mutation[]): unknown[] {
  return mutations.map((m) => ({
    ...m,
    hlc: m.hlc.toString(),
    payload: m.payload instanceof Uint8Array ? Buffer.from(m.payload).toString('base64') : m.payload,
    prev: m.prev && { ...m.prev, hlc: m.prev.hlc.toString() },
  }));
}

/** Batches per second of `fn` over one slice of at least SLICE_MS. */
function slice(fn: () => unknown): number {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < SLICE_MS) {
    for (let i = 0; i < 10; i++) fn();
    ops += 10;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Interleaves the contenders: each run times every one of them once, so that load from other processes on this
 * shared machine hits them alike; returns each contender's median rate and the median of per-run ratios.
 */
function measure(contenders: Record<string, () => unknown>): Record<string, number[]> {
  const rates: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(contenders)) {
    for (let i = 0; i < 30; i++) fn(); // warm up
    rates[name] = [];
  }
  for (let run = 0; run < RUNS; run++) for (const [name, fn] of Object.entries(contenders)) rates[name]!.push(slice(fn));
  return rates;
}

const mutations = typicalBatch();
const frame: MutationsFrame<Mutation> = { kind: 'mutations', mutations };
const body = encodeFrameBody(frame);
const ipc = encodeIpcFrame(frame);
const friendly = jsonFriendly(mutations);
const json = JSON.stringify(friendly);
let sink = 0;

const rates = measure({
  encode: () => (sink += encodeFrameBody(frame).length),
  jsonEncode: () => (sink += JSON.stringify(friendly).length),
  decode: () => {
    const decoded = decodeFrameBody(FRAME_KIND.mutations, body);
    sink += decoded.kind === 'mutations' ? decoded.mutations.length : 0;
  },
  jsonDecode: () => (sink += (JSON.parse(json) as unknown[]).length),
  ipcDecode: () => (sink += new IpcFrameDecoder().push(ipc).length),
});
const ratio = (ours: number[], peer: number[]): string => median(ours.map((rate, run) => rate / peer[run]!)).toFixed(2);

const perSecond = (batches: number[]): string => `${Math.round((median(batches) * BATCH) / 1000).toLocaleString('en-US')} k mutations/s`;
console.log(`batch: ${BATCH} mutations; protobuf body ${body.length} bytes, JSON ${Buffer.byteLength(json)} bytes (ratio ${(body.length / Buffer.byteLength(json)).toFixed(2)})`);
console.log(`encode  ours (encodeFrameBody):   ${perSecond(rates['encode']!)}`);
console.log(`encode  peer (JSON.stringify):    ${perSecond(rates['jsonEncode']!)}`);
console.log(`encode  ratio ours/peer:          ${ratio(rates['encode']!, rates['jsonEncode']!)}`);
console.log(`decode  ours (decodeFrameBody):   ${perSecond(rates['decode']!)}`);
console.log(`decode  peer (JSON.parse):        ${perSecond(rates['jsonDecode']!)}`);
console.log(`decode  ratio ours/peer:          ${ratio(rates['decode']!, rates['jsonDecode']!)}`);
console.log(`decode  ours via IpcFrameDecoder: ${perSecond(rates['ipcDecode']!)}`);
console.log(`(${RUNS} interleaved runs of >= ${SLICE_MS} ms per contender; medians, ratio = median of per-run ratios; checksum ${sink % 997})`);
