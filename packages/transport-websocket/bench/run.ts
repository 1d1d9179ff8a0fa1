// Benchmark of @statemesh/transport-websocket: the protocol engine over WebSocket links beside the same engine over
// loopback-TCP IPC links (@statemesh/transport-ipc), measured in the same run, sender and receiver in one process
// (they share a core: the figures compare links, they are not a machine's capacity). Run: `pnpm bench` here.
//
//   throughput: batches of 100 mutations with 100-byte payloads, replicated mutations/s (first publish to last
//   delivery), median of BENCH_RUNS runs (default 5), and the ratio WebSocket / IPC.
//   latency: one batch of 1 mutation at a time, round trip a -> b -> a (b echoes), p50 and p99 over 2 000.
import type { HelloInfo, Mutation, SnapshotPage, TransportHost } from '@statemesh/contracts';
import { freePort } from '@statemesh/contracts/testing';
import type { ProtocolTransport } from '@statemesh/protocol';
import { ipcTransport } from '@statemesh/transport-ipc';
import { websocketListener, websocketTransport } from '@statemesh/transport-websocket';
import { ProtocolTransport as Engine } from '@statemesh/protocol';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const TOTAL = Number(process.env['BENCH_MUTATIONS'] ?? 300_000);
const BATCH = 100;
const PAYLOAD = 100;
const TOKEN = 'bench-token';

type Kind = 'websocket' | 'ipc';

function host(onMutations: (batch: readonly Mutation[]) => void): TransportHost {
  return {
    hello: (): HelloInfo => ({ vector: {} }),
    onMutations,
    onPeerEvent: () => undefined,
    readChunk: () => Promise.resolve(undefined),
    snapshot: async function* (): AsyncIterable<SnapshotPage> {
      yield { entries: [], last: true };
    },
  };
}

function batch(origin: string, first: number, length = BATCH): Mutation[] {
  return Array.from({ length }, (_, i) => ({
    origin, seq: first + i, hlc: (1_700_000_000_000n << 16n) + BigInt(first + i), path: `scene.item${(first + i) % 1000}`, op: 'set', type: 'bytes', payload: new Uint8Array(PAYLOAD).fill(i),
  }));
}

/** A receiver `b` and a sender `a` linked by `kind`; `b` hands batches to `onB`, `a` to `onA`. */
async function pair(kind: Kind, onB: (m: readonly Mutation[]) => void, onA: (m: readonly Mutation[]) => void): Promise<[ProtocolTransport, ProtocolTransport]> {
  const common = { clusterId: 'bench', onError: () => undefined };
  let b: ProtocolTransport;
  let a: ProtocolTransport;
  if (kind === 'websocket') {
    const listener = websocketListener({ port: 0, token: TOKEN });
    b = new Engine({ ...common, nodeId: 'b', listeners: [listener] });
    await b.start(host(onB));
    a = websocketTransport({ ...common, nodeId: 'a', seeds: [listener.address], dial: { token: TOKEN } });
  } else {
    const address = `tcp://127.0.0.1:${await freePort()}`;
    b = ipcTransport({ ...common, nodeId: 'b', listen: address, link: { token: TOKEN } });
    await b.start(host(onB));
    a = ipcTransport({ ...common, nodeId: 'a', seeds: [address], link: { token: TOKEN } });
  }
  await a.start(host(onA));
  while (a.peers().length === 0 || b.peers().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return [a, b];
}

async function throughput(kind: Kind): Promise<number> {
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const [a, b] = await pair(kind, (m) => {
    received += m.length;
    if (received >= TOTAL) done();
  }, () => undefined);
  const pool = Array.from({ length: 64 }, (_, i) => batch('a', 1 + i * BATCH));
  const start = performance.now();
  for (let i = 0; i < TOTAL / BATCH; i++) {
    a.publish(pool[i % pool.length]!.map((m, j) => ({ ...m, seq: 1 + i * BATCH + j })));
    if (i % 4 === 3) {
      if (a.backlogBytes() > 2 * 1024 * 1024) await a.whenBacklogBelow(1024 * 1024);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await finished;
  const seconds = (performance.now() - start) / 1000;
  await a.close();
  await b.close();
  return TOTAL / seconds;
}

async function latency(kind: Kind): Promise<number[]> {
  let echoed: () => void = () => undefined;
  let bTransport: ProtocolTransport | undefined;
  let seqB = 0;
  const [a, b] = await pair(kind, () => bTransport!.publish(batch('b', ++seqB, 1)), () => echoed());
  bTransport = b;
  const times: number[] = [];
  for (let i = 1; i <= 2_000; i++) {
    const back = new Promise<void>((resolve) => (echoed = resolve));
    const start = performance.now();
    a.publish(batch('a', i, 1));
    await back;
    times.push(performance.now() - start);
  }
  await a.close();
  await b.close();
  return times.sort((x, y) => x - y);
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const rates: Record<Kind, number[]> = { websocket: [], ipc: [] };
for (let run = 0; run < RUNS; run++) {
  // Alternate the order, so that neither kind always runs on a warmer process.
  for (const kind of (run % 2 === 0 ? ['websocket', 'ipc'] : ['ipc', 'websocket']) as Kind[]) rates[kind].push(await throughput(kind));
}
console.log(`throughput websocket: ${fmt(median(rates.websocket))} mutations/s (median of ${RUNS}; runs ${rates.websocket.map(fmt).join(', ')})`);
console.log(`throughput ipc tcp (same run): ${fmt(median(rates.ipc))} mutations/s (runs ${rates.ipc.map(fmt).join(', ')})`);
console.log(`throughput ratio websocket/ipc: ${((100 * median(rates.websocket)) / median(rates.ipc)).toFixed(0)}%`);
for (const kind of ['websocket', 'ipc'] as Kind[]) {
  const sorted = await latency(kind);
  console.log(`round trip ${kind}: p50 ${quantile(sorted, 0.5).toFixed(3)} ms, p99 ${quantile(sorted, 0.99).toFixed(3)} ms`);
}
