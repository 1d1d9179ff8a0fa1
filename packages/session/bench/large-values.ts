// Many large values: COUNT values of SIZE bytes written on node `a` (a file blob store) hydrate on node `b` over
// IPC, each node in its own process. Prints MB/s of the hydration beside the floor (the same bytes through a raw
// Unix socket between two processes, measured in the same run), slow-peer disconnects on both sides, and both
// nodes' peak resident memory beside an idle node's (the same join, no values: the process's own floor); medians
// of several runs. Usage: pnpm --filter @statemesh/session bench:large
// [count=64] [MiB=16] [runs=3] (issue 13 finding 5).
import { fork, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { join, type SessionConfig } from '../src/index.ts';

interface Report {
  readonly type: 'ready' | 'written' | 'hydrated' | 'stopped' | 'floor';
  readonly seconds?: number;
  readonly peakRssBytes?: number;
  readonly slowPeerDisconnects?: number;
  readonly failed?: number;
}

const role = process.argv[2];
if (role === 'writer' || role === 'reader' || role === 'idle') await runNode(role, process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
else if (role === 'floor-receiver') await floorReceiver(process.argv[3]!, Number(process.argv[4]));
else await main(Number(process.argv[2] ?? 64), Number(process.argv[3] ?? 16), Number(process.argv[4] ?? 3));

async function main(count: number, mib: number, runs: number): Promise<void> {
  const size = mib * 2 ** 20;
  const total = count * size;
  const mbps = (seconds: number): number => total / 1e6 / seconds;
  console.log(`statemesh large values (${new Date().toISOString()}): ${count} values of ${mib} MiB over IPC, file blob stores, two processes; ${runs} runs; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = await oneRun(count, size);
    results.push(result);
    console.log(
      `run ${run}: floor ${mbps(result.floorSeconds).toFixed(0)} MB/s, hydration ${mbps(result.hydrateSeconds).toFixed(0)} MB/s (${result.hydrateSeconds.toFixed(1)} s), ` +
        `slow-peer disconnects a ${result.disconnects[0]} b ${result.disconnects[1]}, failed ${result.failed}, peak RSS a ${mib2(result.rss[0])} b ${mib2(result.rss[1])} MiB, idle node ${mib2(result.idleRss)} MiB`,
    );
  }
  const floor = median(results.map((r) => mbps(r.floorSeconds)));
  const hydration = median(results.map((r) => mbps(r.hydrateSeconds)));
  console.log(`median floor (raw Unix socket, 1 MiB frames, same bytes): ${floor.toFixed(0)} MB/s`);
  console.log(`median hydration on b (join to last value ready): ${hydration.toFixed(0)} MB/s, ratio to floor ${(hydration / floor).toFixed(3)}`);
  console.log(`slow-peer disconnects over all runs: ${results.reduce((sum, r) => sum + r.disconnects[0] + r.disconnects[1], 0)}; failed hydrations: ${results.reduce((sum, r) => sum + r.failed, 0)}`);
  const idle = median(results.map((r) => r.idleRss));
  const [a, b] = [median(results.map((r) => r.rss[0])), median(results.map((r) => r.rss[1]))];
  console.log(`median peak resident memory: a ${mib2(a)} MiB, b ${mib2(b)} MiB, an idle node ${mib2(idle)} MiB; above idle: a ${mib2(a - idle)} MiB, b ${mib2(b - idle)} MiB, for ${mib2(total)} MiB of values`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

interface RunResult {
  readonly floorSeconds: number;
  readonly hydrateSeconds: number;
  readonly disconnects: readonly [number, number];
  readonly failed: number;
  readonly rss: readonly [number, number];
  /** Peak RSS of a node that joined and held nothing. */
  readonly idleRss: number;
}

async function oneRun(count: number, size: number): Promise<RunResult> {
  const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-large-bench-'));
  const children: ChildProcess[] = [];
  try {
    const floorSeconds = await rawFloor(dir, count * size);
    const writer = spawnRole(children, 'writer', dir, count, size);
    await next(writer, 'ready');
    await next(writer, 'written');
    const reader = spawnRole(children, 'reader', dir, count, size);
    const hydrated = await next(reader, 'hydrated');
    writer.send('stop');
    reader.send('stop');
    const [w, r] = await Promise.all([next(writer, 'stopped'), next(reader, 'stopped')]);
    const idle = spawnRole(children, 'idle', dir, count, size);
    await next(idle, 'ready');
    idle.send('stop');
    const i = await next(idle, 'stopped');
    return {
      idleRss: i.peakRssBytes!,
      floorSeconds,
      hydrateSeconds: hydrated.seconds!,
      disconnects: [w.slowPeerDisconnects!, r.slowPeerDisconnects!],
      failed: r.failed!,
      rss: [w.peakRssBytes!, r.peakRssBytes!],
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function mib2(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

function spawnRole(children: ChildProcess[], name: string, dir: string, count: number, size: number): ChildProcess {
  const child = fork(new URL(import.meta.url), [name, dir, String(count), String(size)], { stdio: 'inherit' });
  children.push(child);
  return child;
}

function next(child: ChildProcess, type: Report['type']): Promise<Report> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Report): void => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void => reject(new Error(`${type}: the child exited (${code}) first`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function runNode(role: 'writer' | 'reader' | 'idle', dir: string, count: number, size: number): Promise<void> {
  const send = (report: Report): void => void process.send!(report);
  const config: SessionConfig = {
    clusterId: 'large-bench',
    nodeId: { writer: 'a', reader: 'b', idle: 'c' }[role],
    transport: 'ipc',
    listen: joinPath(dir, `${role}.sock`),
    seeds: role === 'reader' ? [joinPath(dir, 'writer.sock')] : [],
    blobStorePath: joinPath(dir, `${role}-blobs`),
    joinTimeoutMs: 30_000,
  };
  const start = performance.now();
  const session = await join(config, { log: (line) => console.error(`[${role}] ${line}`) });
  if (role === 'idle') send({ type: 'ready' });
  else if (role === 'writer') {
    send({ type: 'ready' });
    const bytes = new Uint8Array(size);
    for (let i = 0; i < count; i++) {
      randomFillSync(bytes); // one buffer reused: the bench itself holds one value, whatever the count
      session.setBytes(`volume.v${i}`, bytes, 'volume/u8');
      await session.flush();
    }
    send({ type: 'written' });
  } else {
    const ready = (): boolean => {
      for (let i = 0; i < count; i++) if (session.get(`volume.v${i}`)?.pending !== false) return false;
      return true;
    };
    while (!ready()) await new Promise((resolve) => setTimeout(resolve, 50));
    send({ type: 'hydrated', seconds: (performance.now() - start) / 1000 });
  }
  await new Promise((resolve) => process.once('message', resolve));
  const metrics = session.metrics();
  await session.close();
  send({
    type: 'stopped',
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    slowPeerDisconnects: metrics.transport.slowPeerDisconnects,
    failed: metrics.hydrations.failed,
  });
  process.disconnect();
}

/** Seconds to move `total` bytes in 1 MiB length-prefixed frames through a raw Unix socket to another process. */
async function rawFloor(dir: string, total: number): Promise<number> {
  const path = joinPath(dir, 'floor.sock');
  const child = fork(new URL(import.meta.url), ['floor-receiver', path, String(total)], { stdio: 'inherit' });
  try {
    await new Promise((resolve) => child.once('message', resolve));
    const socket = createConnection(path);
    await new Promise((resolve) => socket.once('connect', resolve));
    const frame = Buffer.alloc(4 + 2 ** 20);
    frame.writeUInt32LE(2 ** 20, 0);
    randomFillSync(frame, 4);
    const done = new Promise((resolve) => child.once('message', resolve));
    const t0 = performance.now();
    for (let sent = 0; sent < total; sent += 2 ** 20) if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve));
    await done;
    const seconds = (performance.now() - t0) / 1000;
    socket.destroy();
    return seconds;
  } finally {
    child.kill();
  }
}

async function floorReceiver(path: string, total: number): Promise<void> {
  let received = 0;
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // Frames are 4 + 1 MiB: the body bytes are all that count.
      if (received >= (total / 2 ** 20) * (4 + 2 ** 20)) {
        process.send!('done');
        socket.destroy();
        server.close();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  process.send!('listening');
}
