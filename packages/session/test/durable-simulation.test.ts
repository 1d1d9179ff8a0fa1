// Every node crashes at once, with its replica store on a virtual disk that tears unsynced writes (issue 15): no
// write acknowledged `durable` is lost. Three sessions over memory links on virtual time, a seed per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '@statemesh/blob-store';
import { compareVersions, isUnder, type Version } from '@statemesh/contracts';
import { join, type Session } from '@statemesh/session';
import { MemoryDisk, MemoryReplicaStore } from '@statemesh/store-fs';
import { SeededRandom, VirtualScheduler } from '@statemesh/protocol';
import { MemoryNetwork } from '@statemesh/transport-memory';

const EPOCH_MS = 1_750_000_000_000;
const PATHS = ['scene.camera.fov', 'scene.light', 'scene.objects.a', 'scene.objects.b', 'scene.objects', 'meta.title'];
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs virtual time forward until `promise` settles (at most `limitMs` of it), letting real I/O turns through. */
async function drive<T>(scheduler: VirtualScheduler, promise: Promise<T>, limitMs: number): Promise<T> {
  let done = false;
  const settled = promise.finally(() => (done = true));
  for (let waited = 0; !done; waited += 10) {
    if (waited > limitMs) throw new Error(`nothing settled within ${limitMs} ms of virtual time`);
    await scheduler.advance(10);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return settled;
}

interface Logged {
  readonly path: string;
  readonly op: 'set' | 'delete';
  readonly version: Version;
}

async function simulate(seed: number): Promise<{ durable: number; crashes: number }> {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true }); // the previous seed's (one test runs many)
  dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-durable-sim-'));
  const random = new SeededRandom(seed);
  const scheduler = new VirtualScheduler(0);
  const network = new MemoryNetwork({ seed, scheduler, faults: { drop: 0.02, duplicate: 0.02, reorder: 0.02, delayMs: [0, 10] } });
  const ids = ['n0', 'n1', 'n2'];
  const disks = new Map(ids.map((id, i) => [id, new MemoryDisk({ seed: seed * 7 + i })]));
  const stores = new Map<string, MemoryReplicaStore>();
  const sessions = new Map<string, Session>();
  const log: Logged[] = [];
  const durable = new Set<Logged>();
  const start = async (id: string) => {
    const store = new MemoryReplicaStore({ disk: disks.get(id)! });
    stores.set(id, store);
    const session = await drive(
      scheduler,
      join(
        { clusterId: 'dsim', nodeId: id, transport: 'memory', network, seeds: ids.filter((o) => o !== id), dataDir: joinPath(dir!, id), heartbeatIntervalMs: 100, pumpIntervalMs: 20, metricsIntervalMs: 5000, antiEntropyIntervalMs: 500, joinTimeoutMs: 500, blobCodec: 'rle' },
        { timers: scheduler, wallClock: () => EPOCH_MS + Math.floor(scheduler.now()), replicaStore: store, blobStore: new MemoryBlobStore(), log: () => undefined },
      ),
      5000,
    );
    sessions.set(id, session);
  };
  for (const id of ids) await start(id);
  let crashes = 0;
  for (let step = 0; step < 60; step++) {
    // A burst of writes on every node, then either time passes or every node crashes at once, mid-commit.
    for (let k = 0; k < 1 + Math.floor(random.next() * 4); k++) {
      const node = ids[Math.floor(random.next() * ids.length)]!;
      const session = sessions.get(node)!;
      const path = PATHS[Math.floor(random.next() * PATHS.length)]!;
      const write: Logged = random.next() < 0.85 ? { path, op: 'set', version: session.set(path, { step, node, k }) } : { path, op: 'delete', version: session.delete(path) };
      log.push(write);
      void session.durable(write.version, 60_000).then(
        () => durable.add(write),
        () => undefined, // cut off by the crash: never acknowledged
      );
    }
    // Sometimes the commit under way gets one real turn before the crash, sometimes none.
    if (random.next() < 0.5) await new Promise((resolve) => setImmediate(resolve));
    if (random.next() < 0.15) {
      // Every node at once: links cut, stores dead mid-write, unsynced bytes torn.
      for (const id of ids) {
        network.crash(id);
        await stores.get(id)!.abandon();
      }
      for (const id of ids) await drive(scheduler, sessions.get(id)!.close(), 5000);
      sessions.clear();
      for (const disk of disks.values()) disk.crash({ tear: true });
      crashes++;
      for (const id of ids) await start(id);
    }
    await scheduler.advance(5 + Math.floor(random.next() * 20));
    await new Promise((resolve) => setImmediate(resolve));
  }
  network.heal();
  network.setFaults({});
  const all = () => [...sessions.values()];
  for (let waited = 0; new Set(all().map((s) => s.digest())).size > 1; waited += 100) {
    if (waited > 30_000) throw new Error(`seed ${seed}: replicas did not converge`);
    await scheduler.advance(100);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const reference = sessions.get('n0')!;
  for (const write of durable) {
    const current = reference.get(write.path);
    if (write.op === 'set' && current !== undefined && compareVersions(current.version, write.version) >= 0) continue;
    const superseded = log.some((o) => (o.op === 'delete' ? isUnder(write.path, o.path) : o.path === write.path) && compareVersions(o.version, write.version) > 0);
    if (write.op === 'delete' && (current === undefined || compareVersions(current.version, write.version) > 0)) continue;
    if (!superseded) throw new Error(`seed ${seed}: the durable write ${write.version.origin}#${write.version.seq} ${write.op} ${write.path} was lost`);
  }
  for (const session of all()) await drive(scheduler, session.close(), 5000);
  return { durable: durable.size, crashes };
}

describe('every node crashing at once, stores on virtual disks', () => {
  it('loses no write acknowledged durable (20 seeds)', async () => {
    let durable = 0;
    let crashes = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const report = await simulate(seed);
      durable += report.durable;
      crashes += report.crashes;
    }
    expect(crashes).toBeGreaterThan(0);
    expect(durable).toBeGreaterThan(100);
  }, 300_000);
});
