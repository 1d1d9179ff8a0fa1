// Throughput of the memory transport (publish -> clone -> queue -> host.onMutations) beside the in-process floor
// Node offers for the same job: a MessageChannel carrying the same batches (structured clone + delivery).
// Several runs; medians; plain lines: ours, the peer's, the ratio.
import { MessageChannel } from 'node:worker_threads';
import type { Mutation, TransportHost } from '@statemesh/contracts';
import { MemoryNetwork } from '@statemesh/transport-memory';

const BATCHES = 500;
const BATCH_SIZE = 100;
const RUNS = 7;

function batches(): Mutation[][] {
  const payload = new Uint8Array(100).fill(7);
  let seq = 0;
  return Array.from({ length: BATCHES }, () =>
    Array.from({ length: BATCH_SIZE }, () => {
      seq++;
      return { origin: 'a', seq, hlc: BigInt(seq) << 16n, path: `scene.item${seq % 1000}`, op: 'set', type: 'bytes', payload };
    }),
  );
}

function host(onMutations: (batch: readonly Mutation[]) => void): TransportHost {
  return {
    hello: () => ({ vector: {} }),
    onMutations,
    onPeerEvent: () => {},
    readChunk: () => Promise.resolve(undefined),
    async *snapshot() {
      yield { entries: [], last: true };
    },
  };
}

async function memoryRun(input: Mutation[][]): Promise<number> {
  const network = new MemoryNetwork();
  let received = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const a = network.createTransport({ nodeId: 'a', clusterId: 'bench' });
  const b = network.createTransport({ nodeId: 'b', clusterId: 'bench', seeds: ['a'] });
  let up: () => void = () => {};
  const isUp = new Promise<void>((resolve) => (up = resolve));
  await a.start({ ...host(() => {}), onPeerEvent: (event) => event.type === 'up' && up() });
  await b.start(
    host((batch) => {
      received += batch.length;
      if (received === BATCHES * BATCH_SIZE) done();
    }),
  );
  await isUp;
  const start = performance.now();
  for (const batch of input) a.publish(batch);
  await finished;
  const ms = performance.now() - start;
  await Promise.all([a.close(), b.close()]);
  return (BATCHES * BATCH_SIZE * 1000) / ms;
}

async function channelRun(input: Mutation[][]): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  let received = 0;
  const finished = new Promise<void>((resolve) => {
    port2.on('message', (batch: Mutation[]) => {
      received += batch.length;
      if (received === BATCHES * BATCH_SIZE) resolve();
    });
  });
  const start = performance.now();
  for (const batch of input) port1.postMessage(batch);
  await finished;
  const ms = performance.now() - start;
  port1.close();
  port2.close();
  return (BATCHES * BATCH_SIZE * 1000) / ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const input = batches();
const ours: number[] = [];
const peer: number[] = [];
await memoryRun(input); // warm-up
await channelRun(input);
for (let run = 0; run < RUNS; run++) {
  ours.push(await memoryRun(input));
  peer.push(await channelRun(input));
}
const o = median(ours);
const p = median(peer);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`transport-memory: ${fmt(o)} mutations/s (batches of ${BATCH_SIZE} x 100-byte payloads, median of ${RUNS})`);
console.log(`MessageChannel (structured clone, same batches): ${fmt(p)} mutations/s`);
console.log(`ratio: ${(o / p).toFixed(2)}`);
