// End-to-end benchmark: three real node processes on this machine, over IPC and over gRPC. Sustained replicated
// writes per second and write-to-visible latency on the other two nodes at 1 000/s, 10 000/s and the maximum;
// catch-up of a node that missed 100 000 writes; resident memory per node. Beside the floor: a raw length-prefixed
// Unix socket between two processes, carrying frames of the same size, measured in the same run.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SessionConfig } from '../src/config.ts';
import { freePort } from '../src/demo/free-port.ts';
import { NodeProcess } from '../src/demo/node-process.ts';

const PAD = 60; // ~100-byte values with the JSON around them
// `--rates=10000,0` runs those target rates alone (0: as fast as possible).
const RATES = (process.argv.find((a) => a.startsWith('--rates='))?.slice(8).split(',').map(Number) ?? [1_000, 10_000, 0]) as readonly number[];
const WRITES = { 1000: 5_000, 10000: 50_000, 0: 200_000 } as Record<number, number>; // distinct keys: k0...
const CATCH_UP = 100_000;
// `--only=ipc,grpc,catchup` runs those parts alone (default: all); the floor runs whenever ipc or grpc does.
const ONLY = new Set((process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'ipc,grpc,catchup').split(','));

if (process.argv[2] === 'floor-receiver') {
  await floorReceiver(process.argv[3]!);
} else {
  await main();
}

async function main(): Promise<void> {
  console.log(`statemesh session benchmark (${new Date().toISOString()}); three node processes; values of ~100 bytes`);
  const transports = (['ipc', 'grpc'] as const).filter((t) => ONLY.has(t));
  if (transports.length > 0) await throughput(transports);
  if (ONLY.has('catchup')) await catchUp();
}

async function throughput(transports: readonly ('ipc' | 'grpc')[]): Promise<void> {
  const floor = await rawFloor();
  console.log(`floor: raw length-prefixed Unix socket, 100-byte frames, batched: ${fmt(floor)} frames/s\n`);
  // CPU per write (µs of each process's user + system time over the phase, per write): what the load of a shared
  // machine changes least.
  console.log('transport  target/s   writes  replicated/s  ratio-to-floor  p50 ms  p99 ms  cpu µs/write a, b, c');
  for (const transport of transports) {
    await withCluster(transport, async (nodes) => {
      const [a, b, c] = nodes;
      for (const rate of RATES) {
        const prefix = `bench.r${rate}`;
        await Promise.all([b!.request('record', prefix), c!.request('record', prefix)]);
        const count = WRITES[rate]!;
        const cpu0 = await Promise.all(nodes.map((n) => n.request<number>('cpuMs')));
        const t0 = Number(process.hrtime.bigint()) / 1e6; // the clock the nodes stamp with
        await a!.request('load', prefix, rate, count, PAD);
        type Recorded = { count: number; p50: number; p99: number; lastAt: number };
        let seen: Recorded[] = [];
        const deadline = Date.now() + 120_000;
        do {
          await sleep(50);
          seen = await Promise.all([b!, c!].map((n) => n.request<Recorded>('recorded', prefix, false)));
        } while (seen.some((r) => r.count < count) && Date.now() < deadline);
        if (seen.some((r) => r.count < count)) throw new Error(`only ${seen.map((r) => r.count).join(' and ')} of ${count} writes arrived within 120 s`);
        const cpu = (await Promise.all(nodes.map((n) => n.request<number>('cpuMs')))).map((ms, i) => ((ms - cpu0[i]!) * 1000) / count);
        seen = await Promise.all([b!, c!].map((n) => n.request<Recorded>('recorded', prefix)));
        // From the first write to the last delivery on the slower receiver.
        const elapsed = (Math.max(...seen.map((r) => r.lastAt)) - t0) / 1000;
        const throughput = count / elapsed;
        const p50 = Math.max(...seen.map((r) => r.p50));
        const p99 = Math.max(...seen.map((r) => r.p99));
        console.log(
          `${transport.padEnd(9)}  ${(rate === 0 ? 'max' : fmt(rate)).padStart(8)}  ${fmt(count).padStart(7)}  ${fmt(throughput).padStart(12)}  ${(throughput / floor).toFixed(3).padStart(14)}  ${p50.toFixed(2).padStart(6)}  ${p99.toFixed(2).padStart(6)}  ${cpu.map((us) => us.toFixed(1)).join(', ')}`,
        );
      }
      const memory = await Promise.all(nodes.map((n) => n.request<NodeJS.MemoryUsage>('memoryDetail')));
      const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
      console.log(
        `${transport.padEnd(9)}  resident memory per node: ${memory.map((m) => `${mib(m.rss)} MiB`).join(', ')} (heap used ${memory.map((m) => mib(m.heapUsed)).join(', ')}; array buffers ${memory.map((m) => mib(m.arrayBuffers)).join(', ')} MiB)`,
      );
    });
  }
}

async function withCluster(transport: 'ipc' | 'grpc', run: (nodes: NodeProcess[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'statemesh-bench-'));
  const port = transport === 'grpc' ? await freePort() : 0;
  const address = transport === 'ipc' ? join(dir, 'a.sock') : `127.0.0.1:${port}`;
  const config = (node: string): SessionConfig => ({
    clusterId: 'bench',
    nodeId: node,
    transport,
    ...(node === 'a' ? { listen: address } : { seeds: [address] }),
  });
  const nodes: NodeProcess[] = [];
  try {
    for (const node of ['a', 'b', 'c']) nodes.push(await NodeProcess.start(node, config(node)));
    const deadline = Date.now() + 20_000;
    while ((await nodes[0]!.request<{ peerCount: number }>('status')).peerCount < 2 && Date.now() < deadline) await sleep(20);
    await run(nodes);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function catchUp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'statemesh-bench-'));
  const socket = join(dir, 'a.sock');
  const base = { clusterId: 'bench', transport: 'ipc' as const };
  const a = await NodeProcess.start('a', { ...base, nodeId: 'a', listen: socket });
  let b: NodeProcess | undefined;
  try {
    await a.request('load', 'catchup', 0, CATCH_UP, PAD);
    const t0 = performance.now();
    b = await NodeProcess.start('b', { ...base, nodeId: 'b', seeds: [socket], joinTimeoutMs: 120_000 });
    const info = await b.request<{ joinMs: number; entries: number }>('joinInfo');
    const total = performance.now() - t0;
    console.log(`\ncatch-up over IPC: a node that missed ${fmt(CATCH_UP)} writes (${fmt(info.entries)} entries) joined in ${fmt(info.joinMs)} ms (${fmt(total)} ms with process start), ${fmt(info.entries / (info.joinMs / 1000))} entries/s`);
  } finally {
    await Promise.all([a.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Frames per second through a raw Unix socket to another process, 100-byte frames with a 4-byte length, batched. */
async function rawFloor(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'statemesh-floor-'));
  const path = join(dir, 'floor.sock');
  const child = fork(new URL(import.meta.url), ['floor-receiver', path], { stdio: 'inherit' });
  await new Promise((resolve) => child.once('message', resolve));
  const socket = createConnection(path);
  await new Promise((resolve) => socket.once('connect', resolve));
  const frames = 2_000_000;
  const batch = Buffer.alloc(1000 * 104);
  for (let i = 0; i < 1000; i++) batch.writeUInt32LE(100, i * 104);
  const done = new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const t0 = performance.now();
  for (let sent = 0; sent < frames; sent += 1000) if (!socket.write(batch)) await new Promise((resolve) => socket.once('drain', resolve));
  await done;
  const rate = frames / ((performance.now() - t0) / 1000);
  socket.destroy();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

async function floorReceiver(path: string): Promise<void> {
  let frames = 0;
  let pending = 0; // body bytes of the current frame still to skip
  let headerBytes = 0;
  let length = 0;
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        if (pending > 0) {
          const take = Math.min(pending, chunk.length - at);
          pending -= take;
          at += take;
          if (pending === 0) frames++;
        } else {
          length |= chunk[at++]! << (8 * headerBytes++);
          if (headerBytes === 4) {
            pending = length >>> 0;
            length = 0;
            headerBytes = 0;
            if (pending === 0) frames++;
          }
        }
      }
      if (frames >= 2_000_000) process.send?.(frames);
    });
  });
  server.listen(path, () => process.send?.('ready'));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
