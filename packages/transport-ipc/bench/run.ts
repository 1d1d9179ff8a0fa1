// Benchmark of @statemesh/transport-ipc between two processes over a Unix socket, beside a raw length-prefixed
// `net` socket carrying the same bytes in the same run (the floor). Run: `pnpm bench` in this package.
//
//   1. throughput: batches of 100 mutations with 100-byte payloads, mutations/s, frames/s and MB/s, end to end
//      (sender's first publish to the receiver's last delivery); raw: the same byte count, cut into one
//      length-prefixed frame per mutation, batched 100 frames to a write.
//   2. one-way latency at 10 000 mutations/s (p50, p99, max), stamped with the shared monotonic clock.
//   3. memory of both sides when the receiver is slower than the sender: paced by whenBacklogBelow(), and
//      unpaced (the high-water mark disconnects the receiver).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HelloInfo, Mutation, SnapshotPage, TransportHost } from '@statemesh/contracts';
import { ipcTransport } from '@statemesh/transport-ipc';
import type { ProtocolTransport } from '@statemesh/protocol';
import { encodeIpcFrame } from '@statemesh/wire';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const BATCH = 100;
const PAYLOAD = 100;
const TOTAL = Number(process.env['BENCH_MUTATIONS'] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'smipc-bench-'));

type Message = { type: string; [key: string]: unknown };

class Receiver {
  readonly child: ChildProcess;
  readonly messages: Message[] = [];
  constructor(readonly config: { mode: 'ipc' | 'raw'; path: string; slowNsPerMutation?: number }) {
    this.child = spawn(process.execPath, [...(process.env['BENCH_PROF'] ? ['--cpu-prof', '--cpu-prof-dir=/tmp/tipc/prof'] : []), '--import', 'tsx', '--conditions=@statemesh/source', 'bench/receiver.ts', JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: Message) => this.messages.push(message));
  }
  async next(type: string): Promise<Message> {
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type);
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      if (this.child.exitCode !== null) throw new Error(`receiver exited (${this.child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  async expect(count: number, latency = false): Promise<void> {
    this.child.send({ type: 'expect', count, latency });
    await this.next('expecting');
  }
  async memory(): Promise<{ rss: number; peakRss: number }> {
    this.child.send({ type: 'memory' });
    return (await this.next('memory')) as unknown as { rss: number; peakRss: number };
  }
  async close(): Promise<void> {
    this.child.send({ type: 'close' });
    await once(this.child, 'exit');
  }
}

const host: TransportHost = {
  hello: (): HelloInfo => ({ vector: {} }),
  onMutations: () => {},
  onPeerEvent: () => {},
  readChunk: () => Promise.resolve(undefined),
  snapshot: async function* (): AsyncIterable<SnapshotPage> {
    yield { entries: [], last: true };
  },
};

function makeBatch(first: number, stamp = 0n, length = BATCH): Mutation[] {
  return Array.from({ length }, (_, i) => {
    const payload = new Uint8Array(PAYLOAD).fill(i);
    new DataView(payload.buffer).setBigUint64(0, stamp, true);
    return { origin: 'sender', seq: first + i, hlc: (1_700_000_000_000n << 16n) + BigInt(first + i), path: `scene.item${(first + i) % 1000}`, op: 'set', type: 'bytes', payload };
  });
}

async function sender(receiverPath: string, options: { highWaterMarkBytes?: number } = {}): Promise<ProtocolTransport> {
  const transport = ipcTransport({ nodeId: 'sender', clusterId: 'bench', seeds: [receiverPath], onError: () => {}, ...options });
  await transport.start(host);
  while (transport.peers().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return transport;
}

async function rawSocket(path: string): Promise<Socket> {
  const socket = connect({ path });
  await once(socket, 'connect');
  return socket;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

interface Throughput {
  seconds: number;
  bytes: number;
  /** CPU time per mutation, in microseconds, of the sending and the receiving process. */
  senderCpu: number;
  receiverCpu: number;
}

async function throughputOurs(receiver: Receiver, transport: ProtocolTransport, pool: Mutation[][]): Promise<Throughput> {
  const batches = TOTAL / BATCH;
  await receiver.expect(TOTAL);
  const bytesBefore = transport.stats().bytesSent;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  // A producer that yields to the event loop every few batches, so that the socket is written while it encodes
  // (Node writes nothing while JavaScript runs), and waits when its peer falls behind.
  const every = Number(process.env['BENCH_YIELD_EVERY'] ?? 4);
  for (let i = 0; i < batches; i++) {
    transport.publish(pool[i % pool.length]!);
    if (i % every === every - 1) {
      if (transport.backlogBytes() > 2 * 1024 * 1024) await transport.whenBacklogBelow(1024 * 1024);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const done = await receiver.next('done');
  const used = process.cpuUsage(cpu);
  return {
    seconds: Number(BigInt(done['at'] as string) - start) / 1e9,
    bytes: transport.stats().bytesSent - bytesBefore,
    senderCpu: (used.user + used.system) / TOTAL,
    receiverCpu: (done['cpuMicros'] as number) / TOTAL,
  };
}

async function throughputRaw(receiver: Receiver, socket: Socket, block: Buffer, framesPerBlock: number): Promise<Throughput> {
  const blocks = TOTAL / framesPerBlock;
  await receiver.expect(TOTAL);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < blocks; i++) if (!socket.write(block)) await once(socket, 'drain');
  const done = await receiver.next('done');
  const used = process.cpuUsage(cpu);
  return {
    seconds: Number(BigInt(done['at'] as string) - start) / 1e9,
    bytes: TOTAL * (block.byteLength / framesPerBlock),
    senderCpu: (used.user + used.system) / TOTAL,
    receiverCpu: (done['cpuMicros'] as number) / TOTAL,
  };
}

/** Publishes at `rate` mutations/s for `seconds`, each tick's batch stamped with the send time. */
async function latency(receiver: Receiver, send: (count: number, stamp: bigint) => void, rate: number, seconds: number): Promise<number[]> {
  const total = rate * seconds;
  await receiver.expect(total, true);
  const start = process.hrtime.bigint();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate));
    if (due > sent) {
      send(due - sent, process.hrtime.bigint());
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const done = await receiver.next('done');
  return (done['latencies'] as number[]).sort((a, b) => a - b);
}

async function main(): Promise<void> {
  console.log(`transport-ipc bench: ${RUNS} runs, ${fmt(TOTAL)} mutations of ${PAYLOAD}-byte payloads in batches of ${BATCH}, Unix socket, 2 processes`);
  const ipcPath = join(dir, 'ipc.sock');
  const rawPath = join(dir, 'raw.sock');
  const ours = new Receiver({ mode: 'ipc', path: ipcPath });
  const raw = new Receiver({ mode: 'raw', path: rawPath });
  await Promise.all([ours.next('ready'), raw.next('ready')]);
  const transport = await sender(ipcPath);
  const socket = await rawSocket(rawPath);

  // The same bytes for the raw floor: our frame size, cut into one length-prefixed frame per mutation.
  const pool = Array.from({ length: 64 }, (_, i) => makeBatch(i * BATCH + 1));
  const frameBytes = encodeIpcFrame({ kind: 'mutations', mutations: pool[0]! }).byteLength;
  const perMutation = Math.round(frameBytes / BATCH);
  const block = Buffer.alloc(perMutation * BATCH);
  for (let i = 0; i < BATCH; i++) block.writeUInt32LE(perMutation - 4, i * perMutation);
  console.log(`one frame of ${BATCH} mutations: ${frameBytes} bytes; raw floor: ${BATCH} frames of ${perMutation} bytes per write`);

  const oursRuns: Throughput[] = [];
  const rawRuns: Throughput[] = [];
  for (let run = 0; run < RUNS; run++) {
    const a = await throughputOurs(ours, transport, pool);
    const b = await throughputRaw(raw, socket, block, BATCH);
    oursRuns.push(a);
    rawRuns.push(b);
    console.log(`  run ${run + 1}: ours ${fmt(TOTAL / a.seconds)} mutations/s, raw ${fmt(TOTAL / b.seconds)} frames/s`);
  }
  const rate = (runs: Throughput[]): number => median(runs.map((r) => TOTAL / r.seconds));
  const mbs = (runs: Throughput[]): number => median(runs.map((r) => r.bytes / r.seconds / 1024 / 1024));
  const cpu = (runs: Throughput[], side: 'senderCpu' | 'receiverCpu'): number => median(runs.map((r) => r[side]));
  const oursRate = rate(oursRuns);
  const rawRate = rate(rawRuns);
  console.log(`throughput ours: ${fmt(oursRate)} mutations/s (${fmt(oursRate / BATCH)} frames/s, ${mbs(oursRuns).toFixed(1)} MB/s)`);
  console.log(`throughput raw net floor: ${fmt(rawRate)} frames/s (${mbs(rawRuns).toFixed(1)} MB/s)`);
  console.log(`throughput ratio ours/raw: ${((oursRate / rawRate) * 100).toFixed(1)}% (goal >= 25%, and >= 1,000,000 mutations/s)`);
  // CPU time per mutation does not depend on how busy the shared machine is: 1 / the larger side is the rate
  // this pair of processes reaches with a core each.
  const oursCpu = Math.max(cpu(oursRuns, 'senderCpu'), cpu(oursRuns, 'receiverCpu'));
  const rawCpu = Math.max(cpu(rawRuns, 'senderCpu'), cpu(rawRuns, 'receiverCpu'));
  console.log(`cpu per mutation ours: sender ${cpu(oursRuns, 'senderCpu').toFixed(3)} us, receiver ${cpu(oursRuns, 'receiverCpu').toFixed(3)} us -> ${fmt(1e6 / oursCpu)} mutations/s with a core each`);
  console.log(`cpu per frame raw net floor: sender ${cpu(rawRuns, 'senderCpu').toFixed(3)} us, receiver ${cpu(rawRuns, 'receiverCpu').toFixed(3)} us -> ${fmt(1e6 / rawCpu)} frames/s with a core each`);
  console.log(`cpu-bound ratio ours/raw: ${((rawCpu / oursCpu) * 100).toFixed(1)}%`);

  if (process.env['BENCH_ONLY'] === 'throughput') {
    await transport.close();
    socket.destroy();
    await Promise.all([ours.close(), raw.close()]);
    return;
  }

  // Latency at 10 000 mutations/s.
  let seq = 1_000_000;
  const oursLat: number[][] = [];
  const rawLat: number[][] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    oursLat.push(await latency(ours, (count, stamp) => transport.publish(makeBatch((seq += count), stamp, count)), 10_000, 2));
    rawLat.push(
      await latency(
        raw,
        (count, stamp) => {
          const frames = Buffer.alloc(perMutation * count);
          for (let i = 0; i < count; i++) {
            frames.writeUInt32LE(perMutation - 4, i * perMutation);
            frames.writeBigUInt64LE(stamp, i * perMutation + 4);
          }
          socket.write(frames);
        },
        10_000,
        2,
      ),
    );
  }
  const p = (runs: number[][], q: number): number => median(runs.map((sorted) => quantile(sorted, q)));
  console.log(`latency ours at 10k mutations/s: p50 ${p(oursLat, 0.5).toFixed(3)} ms, p99 ${p(oursLat, 0.99).toFixed(3)} ms, max ${p(oursLat, 1).toFixed(3)} ms (goal p99 < 1 ms)`);
  console.log(`latency raw net floor at 10k/s: p50 ${p(rawLat, 0.5).toFixed(3)} ms, p99 ${p(rawLat, 0.99).toFixed(3)} ms, max ${p(rawLat, 1).toFixed(3)} ms`);
  console.log(`latency ratio ours/raw p99: ${(p(oursLat, 0.99) / p(rawLat, 0.99)).toFixed(2)}x`);
  await transport.close();
  socket.destroy();
  await Promise.all([ours.close(), raw.close()]);

  // Memory with a receiver slower than the sender (5 us per mutation: at most 200 000 mutations/s).
  for (const paced of [true, false]) {
    const slowPath = join(dir, `slow-${paced}.sock`);
    const slow = new Receiver({ mode: 'ipc', path: slowPath, slowNsPerMutation: 5_000 });
    const receiverStart = (await slow.next('ready'))['rss'] as number;
    const hwm = 8 * 1024 * 1024;
    const fast = await sender(slowPath, { highWaterMarkBytes: hwm });
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const until = Date.now() + 3_000;
    let batches = 0;
    while (Date.now() < until) {
      fast.publish(pool[batches++ % pool.length]!);
      if ((batches & 63) === 0) {
        peak = Math.max(peak, process.memoryUsage.rss());
        if (paced) await fast.whenBacklogBelow(hwm / 2);
        else await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const memory = await slow.memory();
    console.log(
      `slow receiver, sender ${paced ? 'paced by whenBacklogBelow' : 'unpaced'}: sender rss ${mb(baseline)} -> peak ${mb(peak)} MiB; receiver rss ${mb(receiverStart)} -> peak ${mb(memory.peakRss)} MiB; high-water mark ${mb(hwm)} MiB; slowPeerDisconnects ${fast.stats().slowPeerDisconnects}; published ${fmt(fast.stats().published)} mutations in 3 s`,
    );
    await fast.close();
    await slow.close();
  }
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
