import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BrickManifest, bricksInFrustum, frustumFromMatrix, orderFrontToBack } from '@statemesh/brick-manifest';
import type { SessionConfig } from '../config.js';
import { viewProjection } from './camera.js';
import { freePort } from './free-port.js';
import { NodeProcess } from './node-process.js';
import { percentile } from './stats.js';

/** Options of {@link runClusterDemo}. */
export interface ClusterDemoOptions {
  /** Where progress lines go (default `console.log`). */
  readonly print?: ((line: string) => void) | undefined;
  /** Volume dimensions in voxels (default 256 × 256 × 200 float32 = 50 MiB). */
  readonly volumeDims?: readonly [number, number, number] | undefined;
  /** Probe writes for the latency measurement (default 300). */
  readonly probes?: number | undefined;
  /** Writes made while a node is down (default 5000). */
  readonly missedWrites?: number | undefined;
}

/** What the demo measured; it throws instead of returning when a check fails. */
export interface ClusterDemoResult {
  readonly latency: { readonly p50Ms: number; readonly p99Ms: number; readonly samples: number };
  readonly conflictAttempts: number;
  readonly catchUp: { readonly missed: number; readonly joinMs: number };
  readonly volume: { readonly bytes: number; readonly hydrateMs: number };
  readonly frustum: { readonly bricks: number; readonly selected: number };
  readonly digest: string;
}

const CLUSTER = 'demo';

/**
 * The cluster demo: three node processes on this machine, a line a - b over a Unix socket, b - c over gRPC. Shows replication
 * latency, a concurrent conflict, a crash and catch-up by version vector, a 50 MiB volume offloaded as chunks and
 * hydrated elsewhere, and the view-frustum selection of its bricks; ends with every digest equal.
 */
export async function runClusterDemo(options: ClusterDemoOptions = {}): Promise<ClusterDemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dims = options.volumeDims ?? [256, 256, 200];
  const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-demo-'));
  const socket = (node: string) => joinPath(dir, `${node}.sock`);
  const grpcPort = await freePort();
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  // a and b share this machine's Unix sockets; b also serves gRPC, which c (as if on another machine) dials.
  const configs: Record<string, SessionConfig> = {
    a: { clusterId: CLUSTER, nodeId: 'a', transport: 'ipc', listen: socket('a') },
    b: { clusterId: CLUSTER, nodeId: 'b', transport: 'ipc', listen: socket('b'), seeds: [socket('a')], bridges: [{ transport: 'grpc', listen: grpcAddress }] },
    c: { clusterId: CLUSTER, nodeId: 'c', transport: 'grpc', seeds: [grpcAddress] },
  };
  const config = (node: string): SessionConfig => ({ ...configs[node]!, blobStorePath: joinPath(dir, `${node}-blobs`), heartbeatIntervalMs: 250 });
  const nodes = new Map<string, NodeProcess>();
  const start = async (name: string) => {
    const node = await NodeProcess.start(name, config(name));
    node.on('log', ({ line }: { line: string }) => print(`   [${name}] ${line}`));
    nodes.set(name, node);
    return node;
  };
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

  try {
    print('statemesh cluster demo: three node processes, a -(Unix socket)- b -(gRPC)- c');
    print(`   working folder ${dir}`);
    const a = await start('a');
    const b = await start('b');
    let c = await start('c');
    await until('b to see both peers', async () => (await b.request<{ peerCount: number }>('status')).peerCount === 2);
    print(`   3 nodes up (${elapsed()}); c knows only b (gRPC ${grpcAddress}), so a's writes reach c by relay through b`);

    // 1. Replication latency ------------------------------------------------------------------------------
    print('\n1. replication: a writes, b and c watch');
    const probes = options.probes ?? 300;
    const latencies: Record<string, number[]> = { b: [], c: [] };
    const onSeen = (event: { node: string; latencyMs: number }) => latencies[event.node]?.push(event.latencyMs);
    b.on('seen', onSeen);
    c.on('seen', onSeen);
    for (let i = 0; i < probes; i++) {
      await a.request('probe', `demo.probe.p${i % 16}`);
      await sleep(2);
    }
    await until('every probe seen on b and c', async () => latencies.b!.length >= probes && latencies.c!.length >= probes);
    b.off('seen', onSeen);
    c.off('seen', onSeen);
    const all = [...latencies.b!, ...latencies.c!];
    for (const name of ['b', 'c'] as const) {
      print(`   a -> ${name}: ${latencies[name]!.length} writes, write-to-visible p50 ${fmt(percentile(latencies[name]!, 50))} ms, p99 ${fmt(percentile(latencies[name]!, 99))} ms${name === 'c' ? ' (two hops)' : ''}`);
    }

    // 2. A conflict -------------------------------------------------------------------------------------
    print('\n2. conflict: a and c write scene.light.color at the same moment');
    let attempts = 0;
    let conflictsSeen: Array<{ node: string; conflict: { path: string; winner: { origin: string; seq: number }; loser: { origin: string; seq: number } } }> = [];
    while (conflictsSeen.length === 0 && attempts < 10) {
      attempts++;
      const path = `scene.light${attempts}.color`;
      await Promise.all([a.request('set', path, 'red'), c.request('set', path, 'blue')]);
      await converge(nodes, 10_000);
      for (const [name, node] of nodes) {
        for (const conflict of await node.request<typeof conflictsSeen[number]['conflict'][]>('conflicts')) {
          if (conflict.path === path) conflictsSeen.push({ node: name, conflict });
        }
      }
      if (conflictsSeen.length === 0) print(`   attempt ${attempts}: one write arrived before the other was made (no conflict); again`);
      else {
        const value = await b.request('get', path);
        print(`   every node holds "${String(value)}" at ${path}`);
      }
    }
    if (conflictsSeen.length === 0) throw new Error(`no concurrent write after ${attempts} attempts`);
    for (const { node, conflict } of conflictsSeen) {
      print(`   ${node} reports: ${conflict.path}: ${conflict.winner.origin}#${conflict.winner.seq} beat ${conflict.loser.origin}#${conflict.loser.seq}`);
    }

    // 3. Crash and catch-up --------------------------------------------------------------------------------
    const missed = options.missedWrites ?? 5000;
    print(`\n3. crash: c is killed (SIGKILL); a writes ${missed} values; c restarts`);
    await c.kill();
    nodes.delete('c');
    await a.request('writeMany', 'scene.objects', missed);
    await a.request('set', 'scene.objects.7', null);
    await until('b to have every write', async () => (await b.request<number>('count', 'scene.objects')) === missed);
    c = await start('c');
    const info = await c.request<{ joinMs: number; entries: number }>('joinInfo');
    const caught = await c.request<number>('count', 'scene.objects');
    print(`   c rejoined in ${fmt(info.joinMs)} ms and caught up by version vector: ${caught} of ${missed} objects, ${info.entries} entries in all`);
    if (caught !== missed) throw new Error(`c caught up ${caught} objects, expected ${missed}`);

    // 4. A large value -------------------------------------------------------------------------------------
    const mib = (dims[0] * dims[1] * dims[2] * 4) / 2 ** 20;
    print(`\n4. large value: a writes a ${dims.join('×')} float32 volume (${fmt(mib)} MiB)`);
    const written = await a.request<{ bytes: number; sha256: string; offloadMs: number; ref: { size: number; codec: string } }>('writeVolume', 'volume.density', dims);
    print(`   a stored it as content-addressed chunks (codec ${written.ref.codec}) in ${fmt(written.offloadMs)} ms; peers receive a reference`);
    const hydrated = await c.request<{ bytes: number; sha256: string; waitMs: number }>('waitForData', 'volume.density', 120_000);
    if (hydrated.sha256 !== written.sha256) throw new Error('the volume c hydrated differs from what a wrote');
    print(`   c: waitForData resolved in ${fmt(hydrated.waitMs)} ms, ${hydrated.bytes} bytes, SHA-256 equal to a's (${fmt(mib / (hydrated.waitMs / 1000))} MiB/s)`);

    // 5. Frustum selection -------------------------------------------------------------------------------
    print('\n5. bricks: which 32³ bricks of the volume does a camera see?');
    const manifest = BrickManifest.forVolume(dims, { brickDim: 32, voxelType: 'f32' });
    await a.request('setBytes', 'volume.manifest', Buffer.from(manifest.encode()).toString('base64'), 'brick-manifest');
    await until('c to hold the manifest', async () => (await c.request<string>('getBytes', 'volume.manifest')).length > 0);
    const replicated = BrickManifest.decode(Buffer.from(await c.request<string>('getBytes', 'volume.manifest'), 'base64'));
    const eye: [number, number, number] = [dims[0] * 0.5, dims[1] * 0.5, -dims[2] * 0.6];
    const planes = frustumFromMatrix(viewProjection(eye, [dims[0] * 0.35, dims[1] * 0.5, dims[2] * 0.5], 30, 16 / 9, 1, dims[2] * 3));
    const visible = orderFrontToBack(replicated, bricksInFrustum(replicated, planes), eye);
    const total = replicated.length;
    print(`   c decoded the replicated manifest: ${total} bricks; a 30° camera in front of the volume selects ${visible.length} (${fmt((100 * visible.length) / total)}%)`);
    print(`   nearest first: bricks ${[...visible].slice(0, 6).join(', ')}, ...; a viewer fetches these and skips ${total - visible.length}`);

    // The end: every replica equal --------------------------------------------------------------------------
    const digest = await converge(nodes, 30_000);
    print(`\nall replicas equal: digest ${digest.slice(0, 16)}... on a, b and c`);
    print('\nsummary');
    print(`   replication   p50 ${fmt(percentile(all, 50))} ms, p99 ${fmt(percentile(all, 99))} ms over ${all.length} deliveries`);
    print(`   conflict      seen by ${conflictsSeen.map((s) => s.node).join(', ')} after ${attempts} attempt(s); same winner everywhere`);
    print(`   catch-up      ${missed} missed writes, rejoin ${fmt(info.joinMs)} ms`);
    print(`   large value   ${fmt(mib)} MiB as content-addressed chunks, hydrated two hops away in ${fmt(hydrated.waitMs)} ms`);
    print(`   frustum       ${visible.length} of ${total} bricks selected`);
    print(`   digests       equal (${elapsed()} in all)`);
    return {
      latency: { p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), samples: all.length },
      conflictAttempts: attempts,
      catchUp: { missed, joinMs: info.joinMs },
      volume: { bytes: written.bytes, hydrateMs: hydrated.waitMs },
      frustum: { bricks: total, selected: visible.length },
      digest,
    };
  } finally {
    await Promise.all([...nodes.values()].map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function converge(nodes: Map<string, NodeProcess>, timeoutMs: number): Promise<string> {
  let digests: string[] = [];
  try {
    await until('every digest equal', async () => {
      digests = await Promise.all([...nodes.values()].map((node) => node.request<string>('digest')));
      return new Set(digests).size === 1;
    }, timeoutMs);
  } catch (error) {
    const states = await Promise.all(
      [...nodes.values()].map(async (node) => {
        const status = await node.request<{ peerCount: number; pendingHydrations: number }>('status');
        return `${node.name}: digest ${(await node.request<string>('digest')).slice(0, 12)}, ${await node.request<number>('count', '')} entries, ${status.peerCount} peer${status.peerCount === 1 ? '' : 's'}, ${status.pendingHydrations} hydration${status.pendingHydrations === 1 ? '' : 's'} pending`;
      }),
    );
    const versions = await Promise.all([...nodes.values()].map((node) => node.request<Record<string, string>>('versions')));
    const paths = new Set(versions.flatMap((v) => Object.keys(v)));
    const differing = [...paths].filter((path) => new Set(versions.map((v) => v[path] ?? '-')).size > 1).slice(0, 5);
    const diff = differing.map((path) => `${path}: ${[...nodes.keys()].map((name, i) => `${name}=${versions[i]![path] ?? '-'}`).join(' ')}`);
    throw new Error(`${(error as Error).message} (${states.join('; ')}; differing: ${diff.join('; ') || 'none'})`);
  }
  return digests[0]!;
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fmt(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
