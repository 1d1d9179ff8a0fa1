// Benchmark of @statemesh/transport-grpc between two processes over loopback TCP, beside a bare grpc-js bidi
// stream of raw buffers of the same size (the floor) and beside our IPC transport, in the same run.
// Run: `pnpm bench` in this package (BENCH_RUNS, BENCH_MUTATIONS to change the size).
//
//   1. throughput: batches of 100 mutations with 100-byte payloads, mutations/s end to end (sender's first publish
//      to the receiver's last delivery); the floor: one raw message of our batch's size per batch, over a bare
//      grpc-js stream whose writer honours write(); IPC: the same batches over @statemesh/transport-ipc.
//   2. one-way latency at 10 000 mutations/s (p50, p99, max), stamped with the shared monotonic clock.
//   3. resident memory of both processes when the receiver is slower than the sender: paced by
//      whenBacklogBelow(), and unpaced (the high-water mark disconnects the receiver).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChannelCredentials, Client, type ClientDuplexStream } from '@grpc/grpc-js';
import type { HelloInfo, Mutation, SnapshotPage, TransportHost } from '@statemesh/contracts';
import type { ProtocolTransport } from '@statemesh/protocol';
import { grpcTransport } from '@statemesh/transport-grpc';
import { ipcTransport } from '@statemesh/transport-ipc';
import { encodeEnvelope } from '@statemesh/wire';
import type { ReceiverConfig } from './receiver.ts';

/** The bare method of receiver.ts (not imported from it: importing would run it). */
const RAW_PATH = '/bench.Raw/Channel';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const BATCH = 100;
const PAYLOAD = 100;
const TOTAL = Number(process.env['BENCH_MUTATIONS'] ?? 500_000);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'smgrpc-bench-'));

type Message = { type: string; [key: string]: unknown };
type Backlogged = ProtocolTransport;

/** Waits until every peer's backlog is at or below `bytes`: the sender runs at the pace of its receiver. */
async function whenBacklogBelow(transport: Backlogged, bytes = 8 * 1024 * 1024): Promise<void> {
  while (transport.backlogBytes() > bytes) await new Promise((resolve) => setTimeout(resolve, 1));
}

class Receiver {
  readonly child: ChildProcess;
  readonly messages: Message[] = [];
  constructor(readonly config: ReceiverConfig) {
    this.child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', 'bench/receiver.ts', JSON.stringify(config)], {
      cwd: packageDir,
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
  async memory(): Promise<{ rss: number; peakRss: number; received: number }> {
    this.child.send({ type: 'memory' });
    return (await this.next('memory')) as unknown as { rss: number; peakRss: number; received: number };
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

async function grpcSender(address: string, options: { highWaterMarkBytes?: number; onError?: () => void } = {}): Promise<Backlogged> {
  const transport = grpcTransport({ nodeId: 'sender', clusterId: 'bench', seeds: [address], onError: options.onError ?? (() => {}), ...options });
  await transport.start(host);
  while (transport.peers().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return transport;
}

async function ipcSender(path: string): Promise<Backlogged> {
  // A dev dependency of the benchmark only: the package itself may not depend on transport-ipc (DESIGN.md's arrows).
  const transport = ipcTransport({ nodeId: 'sender', clusterId: 'bench', seeds: [path], onError: () => {} });
  await transport.start(host);
  while (transport.peers().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return transport;
}

function rawStream(address: string): { call: ClientDuplexStream<Buffer, Buffer>; client: Client } {
  const client = new Client(address, ChannelCredentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const identity = (bytes: Buffer): Buffer => bytes;
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(RAW_PATH, identity, identity);
  call.on('error', () => {});
  call.on('data', () => {});
  return { call, client };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

async function throughputOurs(receiver: Receiver, transport: Backlogged, pool: Mutation[][]): Promise<number> {
  await receiver.expect(TOTAL);
  const start = process.hrtime.bigint();
  for (let i = 0; i < TOTAL / BATCH; i++) {
    transport.publish(pool[i % pool.length]!);
    if ((i & 31) === 31 && transport.backlogBytes() > 8 * 1024 * 1024) await whenBacklogBelow(transport, 4 * 1024 * 1024);
  }
  const done = await receiver.next('done');
  return TOTAL / (Number(BigInt(done['at'] as string) - start) / 1e9);
}

async function throughputRaw(receiver: Receiver, call: ClientDuplexStream<Buffer, Buffer>, message: Buffer): Promise<number> {
  const messages = TOTAL / BATCH;
  await receiver.expect(TOTAL);
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) if (!call.write(message)) await once(call, 'drain');
  const done = await receiver.next('done');
  return TOTAL / (Number(BigInt(done['at'] as string) - start) / 1e9);
}

/** Sends at `rate` mutations/s for `seconds`, each tick's mutations stamped with the send time. */
async function latency(receiver: Receiver, sendSome: (count: number, stamp: bigint) => void, rate: number, seconds: number): Promise<number[]> {
  const total = rate * seconds;
  await receiver.expect(total, true);
  const start = process.hrtime.bigint();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate));
    if (due > sent) {
      sendSome(due - sent, process.hrtime.bigint());
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const done = await receiver.next('done');
  return (done['latencies'] as number[]).sort((a, b) => a - b);
}

/** Peak RSS of this process while `work` runs, sampled every 10 ms, and RSS just before. */
async function rssDuring(work: () => Promise<void>): Promise<{ before: number; peak: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { before, peak: Math.max(peak, process.memoryUsage.rss()) };
}

type SlowResult = { sender: { before: number; peak: number }; receiver: number; disconnects: number; delivered: number };

/** 1 000 000 mutations offered to a receiver that takes ~100k/s: ours paced, ours unpaced, or bare grpc-js ignoring write(). */
async function slowReceiver(kind: 'paced' | 'unpaced' | 'bare-ignoring-write'): Promise<SlowResult> {
  const slow = new Receiver({ mode: kind === 'bare-ignoring-write' ? 'raw' : 'grpc', slowNsPerMutation: 10_000 });
  const address = (await slow.next('ready'))['address'] as string;
  const total = 1_000_000;
  let disconnects = 0;
  let sender: { before: number; peak: number };
  if (kind === 'bare-ignoring-write') {
    const { call, client } = rawStream(address);
    const message = Buffer.alloc(encodeEnvelope({ kind: 'mutations', mutations: makeBatch(1) }).byteLength, 7);
    message.writeUInt32LE(BATCH, 8);
    sender = await rssDuring(async () => {
      for (let i = 0; i < total / BATCH; i++) {
        call.write(Buffer.from(message)); // the leak pattern: write()'s return value ignored
        if ((i & 255) === 255) await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    call.cancel();
    client.close();
  } else {
    const transport = await grpcSender(address, { highWaterMarkBytes: 16 * 1024 * 1024 });
    sender = await rssDuring(async () => {
      let seq = 1;
      for (let i = 0; i < total / BATCH && transport.peers().length > 0; i++) {
        transport.publish(makeBatch(seq));
        seq += BATCH;
        if (kind === 'paced' && (i & 15) === 15) await whenBacklogBelow(transport);
        if (kind === 'unpaced' && (i & 255) === 255) await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    disconnects = transport.stats().slowPeerDisconnects;
    await transport.close();
  }
  const memory = await slow.memory();
  await slow.close();
  return { sender, receiver: memory.peakRss, disconnects, delivered: memory.received };
}

async function main(): Promise<void> {
  console.log(`transport-grpc bench: ${RUNS} runs, ${fmt(TOTAL)} mutations of ${PAYLOAD}-byte payloads in batches of ${BATCH}, loopback TCP, 2 processes`);
  const ours = new Receiver({ mode: 'grpc' });
  const raw = new Receiver({ mode: 'raw' });
  const ipcPath = join(dir, 'ipc.sock');
  const ipc = new Receiver({ mode: 'ipc', path: ipcPath });
  const [oursReady, rawReady] = await Promise.all([ours.next('ready'), raw.next('ready'), ipc.next('ready')]);
  const transport = await grpcSender(oursReady['address'] as string);
  const ipcTransport = await ipcSender(`unix:${ipcPath}`);
  const { call, client } = rawStream(rawReady['address'] as string);

  const pool = Array.from({ length: 64 }, (_, i) => makeBatch(i * BATCH + 1));
  const messageBytes = encodeEnvelope({ kind: 'mutations', mutations: pool[0]! }).byteLength;
  const rawMessage = Buffer.alloc(messageBytes, 7);
  rawMessage.writeBigUInt64LE(0n, 0);
  rawMessage.writeUInt32LE(BATCH, 8);
  console.log(`one message of ${BATCH} mutations: ${messageBytes} bytes; the floor sends raw buffers of that size`);

  const rates = { ours: [] as number[], raw: [] as number[], ipc: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    // Interleaved, so that the shared machine's load falls on all three alike.
    const a = await throughputOurs(ours, transport, pool);
    const b = await throughputRaw(raw, call, rawMessage);
    const c = await throughputOurs(ipc, ipcTransport, pool);
    rates.ours.push(a);
    rates.raw.push(b);
    rates.ipc.push(c);
    console.log(`  run ${run + 1}: grpc ${fmt(a)} mutations/s, bare grpc-js ${fmt(b / BATCH)} messages/s (${fmt(b)} mutations/s equivalent), ipc ${fmt(c)} mutations/s`);
  }
  const [oursRate, rawRate, ipcRate] = [median(rates.ours), median(rates.raw), median(rates.ipc)];
  console.log(`throughput ours (grpc): ${fmt(oursRate)} mutations/s (${fmt(oursRate / BATCH)} messages/s) (goal >= 500,000)`);
  console.log(`throughput bare grpc-js floor: ${fmt(rawRate / BATCH)} messages/s of ${messageBytes} bytes = ${fmt(rawRate)} mutations/s equivalent`);
  console.log(`throughput ratio ours/bare grpc-js: ${((oursRate / rawRate) * 100).toFixed(1)}%`);
  console.log(`throughput ipc transport: ${fmt(ipcRate)} mutations/s; ratio grpc/ipc: ${((oursRate / ipcRate) * 100).toFixed(1)}%`);

  let seq = 10_000_000;
  const lat = { ours: [] as number[][], raw: [] as number[][], ipc: [] as number[][] };
  for (let run = 0; run < RUNS; run++) {
    lat.ours.push(await latency(ours, (count, stamp) => transport.publish(makeBatch((seq += count), stamp, count)), 10_000, 2));
    lat.raw.push(
      await latency(
        raw,
        (count, stamp) => {
          const message = Buffer.alloc(Math.max(16, Math.round((messageBytes / BATCH) * count)));
          message.writeBigUInt64LE(stamp, 0);
          message.writeUInt32LE(count, 8);
          call.write(message);
        },
        10_000,
        2,
      ),
    );
    lat.ipc.push(await latency(ipc, (count, stamp) => ipcTransport.publish(makeBatch((seq += count), stamp, count)), 10_000, 2));
  }
  const p = (runs: number[][], q: number): number => median(runs.map((sorted) => quantile(sorted, q)));
  const line = (name: string, runs: number[][]): string => `p50 ${p(runs, 0.5).toFixed(3)} ms, p99 ${p(runs, 0.99).toFixed(3)} ms, max ${p(runs, 1).toFixed(3)} ms`;
  console.log(`latency ours (grpc) at 10k mutations/s: ${line('ours', lat.ours)} (goal p99 < 2 ms)`);
  console.log(`latency bare grpc-js at 10k/s (one message per 1 ms tick, as ours): ${line('raw', lat.raw)}`);
  console.log(`latency ipc transport at 10k/s: ${line('ipc', lat.ipc)}`);
  console.log(`latency ratio ours/bare grpc-js p99: ${(p(lat.ours, 0.99) / p(lat.raw, 0.99)).toFixed(2)}x`);

  await Promise.all([transport.close(), ipcTransport.close()]);
  call.end();
  client.close();
  await Promise.all([ours.close(), raw.close(), ipc.close()]);

  const describe = (r: SlowResult): string =>
    `sender RSS peak ${mb(r.sender.peak)} MB (${mb(r.sender.before)} MB before), receiver peak RSS ${mb(r.receiver)} MB; ${fmt(r.delivered)} mutations delivered`;
  const paced = await slowReceiver('paced');
  console.log(`slow receiver (~100k mutations/s), ours paced by its backlog: ${describe(paced)}, ${paced.disconnects} disconnects`);
  const unpaced = await slowReceiver('unpaced');
  console.log(`slow receiver, ours unpaced (high-water mark 16 MB): ${describe(unpaced)} before ${unpaced.disconnects} disconnect(s)`);
  const bare = await slowReceiver('bare-ignoring-write');
  console.log(`slow receiver, bare grpc-js ignoring write() (for contrast): ${describe(bare)}`);
  rmSync(dir, { recursive: true, force: true });
}

await main();
