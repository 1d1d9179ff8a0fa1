import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BrickManifest } from '@statemesh/brick-manifest';
import type { SessionConfig } from '../config.js';
import { freePort } from './free-port.js';
import { NodeProcess } from './node-process.js';
import { percentile } from './stats.js';
import { orbitPath, walkVolume, type VolumeWalkResult } from './volume-walk.js';

/** Options of {@link runClusterDemo}. */
export interface ClusterDemoOptions {
  /** Where progress lines go (default `console.log`). */
  readonly print?: ((line: string) => void) | undefined;
  /** Volume dimensions in voxels (default 256³ u16 = 32 MiB). */
  readonly volumeDims?: readonly [number, number, number] | undefined;
  /** Probe writes for the latency measurement (default 300). */
  readonly probes?: number | undefined;
  /** Writes made while a node is down (default 5000). */
  readonly missedWrites?: number | undefined;
  /** Steps of c's camera path over the volume (default 10). */
  readonly cameraSteps?: number | undefined;
  /** The optional last step (`pnpm demo --web`): a browser viewer on node a, kept until `browser.done` resolves. */
  readonly browser?: ClusterDemoBrowser | undefined;
}

/** The browser step of the demo: whoever runs the demo serves the viewer page (`@statemesh/viewer`). */
export interface ClusterDemoBrowser {
  /** Serves the viewer of the demo's volume, joining node a at `websocketUrl` with `token`; resolves with the page's URL. */
  serve(endpoint: { readonly clusterId: string; readonly volume: string; readonly websocketUrl: string; readonly token: string }): Promise<{ readonly url: string; close(): Promise<void> }>;
  /** Resolves when the user is done (Ctrl-C): the cluster runs until then. */
  readonly done: Promise<void>;
}

/** What the demo measured; it throws instead of returning when a check fails. */
export interface ClusterDemoResult {
  readonly latency: { readonly p50Ms: number; readonly p99Ms: number; readonly samples: number };
  readonly conflictAttempts: number;
  readonly catchUp: { readonly missed: number; readonly joinMs: number };
  readonly volume: { readonly bytes: number; readonly bricks: number; readonly putMs: number };
  readonly view: VolumeWalkResult;
  readonly digest: string;
}

const CLUSTER = 'demo';
const VOLUME = 'demo.volume';

/**
 * The cluster demo: three node processes on this machine, a - b over a Unix socket (as if on one machine), c dialling
 * both over gRPC (as if on another: a volume's bricks are fetched from a peer that holds them). Shows replication
 * latency, a concurrent conflict, a crash and catch-up by version vector, a 32 MiB volume written as bricks on a
 * and viewed on c (lazy), which fetches only the bricks its camera sees; ends with every digest equal.
 */
export async function runClusterDemo(options: ClusterDemoOptions = {}): Promise<ClusterDemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dims = options.volumeDims ?? [256, 256, 256];
  const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-demo-'));
  const socket = (node: string) => joinPath(dir, `${node}.sock`);
  const grpcA = `127.0.0.1:${await freePort()}`;
  const grpcB = `127.0.0.1:${await freePort()}`;
  // a and b share this machine's Unix sockets; both also serve gRPC, which c (as if on another machine) dials. c
  // needs a link to a: a peer serves the bricks it holds, and b (eager) holds the volume's manifests, not its bricks.
  const configs: Record<string, SessionConfig> = {
    a: { clusterId: CLUSTER, nodeId: 'a', transport: 'ipc', listen: socket('a'), bridges: [{ transport: 'grpc', listen: grpcA }] },
    b: { clusterId: CLUSTER, nodeId: 'b', transport: 'ipc', listen: socket('b'), seeds: [socket('a')], bridges: [{ transport: 'grpc', listen: grpcB }] },
    // c fetches large values only when asked: the bricks its VolumeView sees.
    c: { clusterId: CLUSTER, nodeId: 'c', transport: 'grpc', seeds: [grpcB, grpcA], hydrate: 'lazy' },
  };
  const config = (node: string): SessionConfig => ({ ...configs[node]!, blobStorePath: joinPath(dir, `${node}-blobs`), heartbeatIntervalMs: 250 });
  const nodes = new Map<string, NodeProcess>();
  // Node a takes browsers' WebSocket links in the browser step.
  const web = options.browser === undefined ? undefined : { port: await freePort(), token: randomBytes(18).toString('base64url') };
  const start = async (name: string) => {
    const node = await NodeProcess.start(name, config(name), 30_000, name === 'a' ? web : undefined);
    node.on('log', ({ line }: { line: string }) => print(`   [${name}] ${line}`));
    nodes.set(name, node);
    return node;
  };
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

  try {
    print('statemesh cluster demo: three node processes, a -(Unix socket)- b, and c -(gRPC)- a and b');
    print(`   working folder ${dir}`);
    const a = await start('a');
    const b = await start('b');
    let c = await start('c');
    await until('every node to see both peers', async () => (await Promise.all([a, b, c].map((node) => node.request<{ peerCount: number }>('status')))).every((s) => s.peerCount === 2));
    print(`   3 nodes up (${elapsed()}); c dials a (gRPC ${grpcA}) and b (gRPC ${grpcB}), as a node on another machine would`);

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
      print(`   a -> ${name}: ${latencies[name]!.length} writes, write-to-visible p50 ${fmt(percentile(latencies[name]!, 50))} ms, p99 ${fmt(percentile(latencies[name]!, 99))} ms${name === 'c' ? ' (over gRPC)' : ''}`);
    }

    // 2. A conflict -------------------------------------------------------------------------------------
    print('\n2. conflict: a and c write one key (scene.light<attempt>.color) at the same moment');
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

    // 4. A volume, and a view that fetches only what it sees ---------------------------------------------------
    const volumeMib = (dims[0] * dims[1] * dims[2] * 2) / 2 ** 20;
    print(`\n4. volume: a writes a ${dims.join('×')} u16 volume (${fmt(volumeMib)} MiB) with putVolume, as 32³ bricks`);
    const written = await a.request<{ ms: number; levels: number; bricks: number; bytes: number; manifests: string[] }>('putVolume', VOLUME, dims);
    const manifests = written.manifests.map((encoded) => (encoded === '' ? undefined : BrickManifest.decode(Buffer.from(encoded, 'base64'))));
    print(`   a stored ${written.bricks} bricks over ${written.levels} levels of detail (${fmt(written.bytes / 2 ** 20)} MiB in all) in ${fmt(written.ms)} ms; peers receive only the manifests`);
    await until('c to see the volume', async () => (await c.request<number>('count', VOLUME)) >= written.levels);
    const cameras = orbitPath(dims, options.cameraSteps ?? 10);
    print(`   c (hydrate: 'lazy') views it along a ${cameras.length}-step orbit, 20° field of view:`);
    const view = await walkVolume(c, VOLUME, manifests, cameras, print);
    print(
      `   c fetched ${fmt(view.bytesFetched / 2 ** 20)} MiB for the ${view.bricksEverVisible} bricks it saw (every level), ` +
        `${fmt((100 * view.bytesFetched) / view.bytesVolume)}% of the ${fmt(volumeMib)} MiB volume`,
    );
    const servers = Object.entries(view.servedBy).map(([peer, count]) => `${count} from ${peer}`).join(', ');
    print(`   no brick outside every frustum of the path was fetched, every visible brick was loaded; bricks served: ${servers || 'none'}`);

    // The end: every replica equal --------------------------------------------------------------------------
    const digest = await converge(nodes, 30_000);
    print(`\nall replicas equal: digest ${digest.slice(0, 16)}... on a, b and c`);
    print('\nsummary');
    print(`   replication   p50 ${fmt(percentile(all, 50))} ms, p99 ${fmt(percentile(all, 99))} ms over ${all.length} deliveries`);
    print(`   conflict      seen by ${conflictsSeen.map((s) => s.node).join(', ')} after ${attempts} attempt(s); same winner everywhere`);
    print(`   catch-up      ${missed} missed writes, rejoin ${fmt(info.joinMs)} ms`);
    print(`   volume        ${fmt(volumeMib)} MiB as ${written.bricks} bricks; c fetched ${fmt(view.bytesFetched / 2 ** 20)} MiB (${fmt((100 * view.bytesFetched) / view.bytesVolume)}%) along ${view.steps} camera steps`);
    print(`   digests       equal (${elapsed()} in all)`);
    if (options.browser !== undefined && web !== undefined) {
      print('\n5. browser: the viewer joins node a over WebSocket and ray-marches the bricks its camera sees');
      const served = await options.browser.serve({ clusterId: CLUSTER, volume: VOLUME, websocketUrl: `ws://127.0.0.1:${web.port}/statemesh`, token: web.token });
      try {
        print(`   open ${served.url}`);
        print('   in two tabs: drag in one, the other follows; the token stays in the URL fragment. Ctrl-C ends the demo.');
        await options.browser.done;
      } finally {
        await served.close();
      }
    }
    return {
      latency: { p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), samples: all.length },
      conflictAttempts: attempts,
      catchUp: { missed, joinMs: info.joinMs },
      volume: { bytes: written.bytes, bricks: written.bricks, putMs: written.ms },
      view,
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
