// Selective brick fetch, measured: a 512³ u16 volume (256 MiB, 32³ bricks, 4 681 bricks over 4 levels) written on
// one node, viewed by a lazy node over IPC (a Unix socket) along a 60-step orbit. Reports the bytes fetched beside
// the bytes of the bricks visible at some step (plus coarse levels) and beside the whole volume an eager node
// fetches; the time to the first coarse picture; the time to all visible full-resolution bricks of the first step
// beside the floor: a raw Unix socket carrying the same bytes, in the same process, in the same run.
// The writer (and the floor's sending end) run in a child process, the viewers (and the floor's receiving end) in
// this one. BENCH_DIM=256 runs a smaller volume, BENCH_RUNS the number of timed runs (default 5).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BrickManifest, bricksInFrustum, frustumFromMatrix } from '@statemesh/brick-manifest';
import { join, type Session } from '@statemesh/session';
import { VolumeView, levelPath, planesAtLevel, putVolume } from '@statemesh/volume';
import { orbit, type Camera } from '../test/camera.ts';
import { noise } from '../test/nodes.ts';

const DIM = Number(process.env['BENCH_DIM'] ?? 512);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const STEPS = 60;
const MiB = 2 ** 20;
const quiet = { log: () => undefined };
const c = DIM / 2;
// Around the volume at 0.9× its size from its centre, looking at the centre with a 20° field of view: each step
// sees a slab through the middle, the orbit a good part of the volume but not its corners, top or bottom.
const PATH: Camera[] = orbit([c, c, c], 0.9 * DIM, STEPS, { fovDegrees: 20, far: 4 * DIM });

/** What the viewer side knows of the volume: each level's manifest. */
interface Written {
  readonly levels: number;
  readonly manifests: readonly BrickManifest[];
}

if (process.argv[2] === 'writer') await writerProcess(process.argv[3]!);
else await main();

/** The child: writes the volume, serves it, and serves the floor's bytes; exits when the parent says so. */
async function writerProcess(dir: string): Promise<void> {
  const writer = await join({ clusterId: 'bench', nodeId: 'writer', listen: joinPath(dir, 'writer.sock'), heartbeatIntervalMs: 500 }, quiet);
  const t0 = performance.now();
  const written = await putVolume(writer, 'scene.volume', noise(DIM ** 3), { dims: [DIM, DIM, DIM], voxelType: 'u16' });
  await writer.flush();
  const seconds = (performance.now() - t0) / 1000;
  const chunk = Buffer.alloc(65_536, 7);
  const floor = createServer((socket) => {
    socket.once('data', (request) => {
      const bytes = Number(request.readBigUInt64LE(0));
      let sent = 0;
      const pump = (): void => {
        while (sent < bytes) {
          const n = Math.min(chunk.length, bytes - sent);
          sent += n;
          if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => floor.listen(joinPath(dir, 'floor.sock'), resolve));
  process.send!({ bricks: written.bricks, levels: written.levels, bytes: written.bytes, seconds });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  await new Promise<void>((resolve) => floor.close(() => resolve()));
  await writer.close();
  process.disconnect();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-volume-bench-'));
  console.log(`statemesh volume benchmark (${new Date().toISOString()}); ${DIM}³ u16 in 32³ bricks; ${STEPS}-step orbit; medians of ${RUNS} runs`);
  const child = fork(fileURLToPath(import.meta.url), ['writer', dir], { execArgv: ['--import', 'tsx', '--conditions=@statemesh/source'] });
  try {
    const ready = await new Promise<{ bricks: number; levels: number; bytes: number; seconds: number }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as never));
      child.once('exit', (code) => reject(new Error(`the writer process exited with ${code}`)));
    });
    console.log(`putVolume (writer process): ${ready.bricks} bricks over ${ready.levels} levels, ${(ready.bytes / MiB).toFixed(1)} MiB, in ${ready.seconds.toFixed(1)} s\n`);
    const written = await withViewer(dir, 'manifests', async (session) => {
      const view = new VolumeView(session, 'scene.volume');
      await view.whenIdle(); // it fetched every level's manifest
      view.close();
      const manifests = Array.from({ length: ready.levels }, (_, level) => BrickManifest.decode(session.get(levelPath('scene.volume', level))!.bytes!));
      return { levels: ready.levels, manifests };
    });
    await orbitBytes(dir, written);
    await timings(dir, written);
  } finally {
    if (child.connected) child.send('exit');
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One lazy viewer along the whole orbit: what it fetched against what it saw and the whole volume. */
async function orbitBytes(dir: string, written: Written): Promise<void> {
  const bytesOf = (level: number, index: number) => written.manifests[level]!.brick(index).storedBytes!;
  const everVisible = new Set<string>();
  let unionBytes = 0;
  for (const cam of PATH) {
    const planes = frustumFromMatrix(cam.viewProjection);
    written.manifests.forEach((manifest, level) => {
      for (const index of bricksInFrustum(manifest!, planesAtLevel(planes, level))) {
        const key = `${level}:${index}`;
        if (everVisible.has(key)) continue;
        everVisible.add(key);
        unionBytes += bytesOf(level, index);
      }
    });
  }
  const fullVolume = DIM ** 3 * 2;
  await withViewer(dir, 'orbit', async (session) => {
    const view = new VolumeView(session, 'scene.volume', { maxBytesInFlight: 8 * MiB, cacheBytes: 1024 * MiB });
    await view.whenIdle();
    let moves = 0;
    const t0 = performance.now();
    for (const cam of PATH) {
      view.setCamera(cam.viewProjection, cam.eye);
      moves++;
      // Half the steps move on before the bricks are in (a camera faster than the network), half wait.
      if (moves % 2 === 0) await view.whenIdle();
    }
    await view.whenIdle();
    const seconds = (performance.now() - t0) / 1000;
    const stats = view.stats();
    const network = session.blobFetchStats();
    console.log(`orbit: ${STEPS} steps in ${seconds.toFixed(1)} s, ${stats.bricksCancelled} fetches cancelled by camera moves`);
    console.log('                                        bricks        MiB   ratio to fetched');
    console.log(`fetched by the view                 ${String(stats.bricksFetched).padStart(10)} ${(stats.bytesFetched / MiB).toFixed(1).padStart(10)}`);
    console.log(`  of which over the socket          ${String(network.fetched).padStart(10)} ${(network.bytesFetched / MiB).toFixed(1).padStart(10)}`);
    console.log(`visible at some step (+ coarse)     ${String(everVisible.size).padStart(10)} ${(unionBytes / MiB).toFixed(1).padStart(10)} ${(stats.bytesFetched / unionBytes).toFixed(3).padStart(18)}`);
    console.log(`whole volume (what eager fetches)   ${String(written.manifests[0]!.length).padStart(10)} ${(fullVolume / MiB).toFixed(1).padStart(10)} ${(stats.bytesFetched / fullVolume).toFixed(3).padStart(18)}\n`);
    view.close();
  });
}

/** Fresh viewers, first step only: time to the coarsest picture and to every visible full-resolution brick. */
async function timings(dir: string, written: Written): Promise<void> {
  const coarsest = written.levels - 1;
  const first = PATH[0]!;
  const planes = frustumFromMatrix(first.viewProjection);
  const fullRes = bricksInFrustum(written.manifests[0]!, planes);
  const fullBytes = [...fullRes].reduce((sum, i) => sum + written.manifests[0]!.brick(i).storedBytes!, 0);
  const coarseVisible = bricksInFrustum(written.manifests[coarsest]!, planesAtLevel(planes, coarsest)).length;
  const toCoarse: number[] = [];
  const toFull: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await withViewer(dir, `timing${run}`, async (session) => {
      const view = new VolumeView(session, 'scene.volume', { maxBytesInFlight: 8 * MiB, cacheBytes: 1024 * MiB });
      await view.whenIdle(); // manifests in: the view is ready for a camera
      let coarse = 0;
      let full = 0;
      const t0 = performance.now();
      const done = new Promise<void>((resolve) =>
        view.on('brick', (level) => {
          if (level === coarsest && ++coarse === coarseVisible) toCoarse.push(performance.now() - t0);
          if (level === 0 && ++full === fullRes.length) {
            toFull.push(performance.now() - t0);
            resolve();
          }
        }),
      );
      view.setCamera(first.viewProjection, first.eye);
      await done;
      await view.whenIdle();
      view.close();
    });
  }
  const floor: number[] = [];
  for (let run = 0; run < RUNS; run++) floor.push(await rawSocket(dir, fullBytes));
  const m = median(toFull);
  const f = median(floor);
  console.log(`first step: ${coarseVisible} coarsest-level brick(s), ${fullRes.length} full-resolution bricks visible (${(fullBytes / MiB).toFixed(1)} MiB)`);
  console.log(`time to the first coarse picture      ${median(toCoarse).toFixed(1).padStart(8)} ms`);
  console.log(`time to all visible full-res bricks   ${m.toFixed(1).padStart(8)} ms  (${(fullBytes / MiB / (m / 1000)).toFixed(0)} MiB/s)`);
  console.log(`raw Unix socket, same bytes (floor)   ${f.toFixed(1).padStart(8)} ms  (${(fullBytes / MiB / (f / 1000)).toFixed(0)} MiB/s)`);
  console.log(`ratio view / floor                    ${(m / f).toFixed(2).padStart(8)}`);
}

async function withViewer<T>(dir: string, id: string, body: (session: Session) => Promise<T>): Promise<T> {
  const session = await join(
    { clusterId: 'bench', nodeId: id, seeds: [joinPath(dir, 'writer.sock')], hydrate: 'lazy', heartbeatIntervalMs: 500 },
    quiet,
  );
  try {
    const deadline = Date.now() + 30_000;
    while (session.get('scene.volume') === undefined || session.get('scene.volume.levels.1') === undefined) {
      if (Date.now() > deadline) throw new Error(`${id} did not see the volume within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return await body(session);
  } finally {
    await session.close();
  }
}

/** Milliseconds to receive `bytes` from the writer process's raw Unix socket, asked for in one 8-byte request. */
async function rawSocket(dir: string, bytes: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const client = createConnection(joinPath(dir, 'floor.sock'));
    let received = 0;
    let t0 = 0;
    client.on('connect', () => {
      const request = Buffer.alloc(8);
      request.writeBigUInt64LE(BigInt(bytes));
      t0 = performance.now();
      client.write(request);
    });
    client.on('data', (data) => {
      received += data.length;
      if (received >= bytes) {
        resolve(performance.now() - t0);
        client.destroy();
      }
    });
    client.on('error', reject);
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
