// Durable replicas (issue 15): a session with a dataDir recovers from its own disk, says when a write is on disk
// (`durable`) and when peers acknowledged it (`replicated`), over real Unix sockets and real files.
import { existsSync, rmSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError, join, type Session, type Version } from '@statemesh/session';
import { MemoryDisk, MemoryReplicaStore } from '@statemesh/store-fs';
import { converged, testCluster, waitFor, type TestCluster } from './cluster.ts';

let cluster: TestCluster;
afterEach(async () => cluster?.close());

const dataOf = (id: string) => joinPath(cluster.dir, `data-${id}`);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('a session with a dataDir', () => {
  it('comes back from its own disk with no peer: tree, tombstones, vector, origin and sequence', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a') });
    const first = a.set('scene.camera.fov', 60);
    a.setText('scene.title', 'brain');
    a.set('scene.gone', 1);
    const last = a.delete('scene.gone');
    await a.durable(last);
    await a.durable(first); // an older write of the same origin is on disk too
    const digest = a.digest();
    const vector = a.vector();
    expect(existsSync(joinPath(dataOf('a'), 'blobs'))).toBe(true); // blobStorePath defaults to <dataDir>/blobs
    await a.close();

    const again = await cluster.start('a', [], { dataDir: dataOf('a') });
    expect(again.digest()).toBe(digest);
    expect(again.vector()).toEqual(vector);
    expect(again.get('scene.camera.fov')?.value).toBe(60);
    expect(again.get('scene.gone')).toBeUndefined();
    const next = again.set('scene.camera.fov', 70);
    expect(next.origin).toBe(first.origin); // the incarnation is kept
    expect(next.seq).toBe(last.seq + 1); // no gap: a peer's vector of this origin keeps rising
    await again.durable(next);
    expect(again.storeStats()?.logRecords).toBeGreaterThan(0);
  });

  it('writes with a durability of sync and none are on disk after a restart as well', async () => {
    cluster = testCluster();
    for (const durability of ['sync', 'none'] as const) {
      const node = await cluster.start(durability, [], { dataDir: dataOf(durability), durability });
      const version = node.set('k', durability);
      await node.durable(version);
      await node.close();
      const again = await cluster.start(durability, [], { dataDir: dataOf(durability), durability });
      expect(again.get('k')?.value).toBe(durability);
      await again.close();
    }
  });

  it('keeps remote writes and catch-up pages too: a node restarted alone has what it got from its peers', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a') });
    for (let i = 0; i < 20; i++) a.set(`early.${i}`, i); // before b joins: b gets them by catch-up
    await a.durable(a.set('early.last', true));
    const b = await cluster.start('b', ['a'], { dataDir: dataOf('b') });
    await waitFor('b to catch up', () => b.get('early.last')?.value === true);
    const live = a.set('live', 'x');
    await a.replicated(live, { peers: 1, timeoutMs: 10_000 }); // b acknowledges it once it is on b's disk
    expect(b.get('live')?.value).toBe('x');
    await b.durable(live); // a remote write: on b's disk once a vector record covers it
    const digest = await converged([a, b]);
    await a.close();
    await b.close();
    rmSync(dataOf('a'), { recursive: true, force: true });

    const alone = await cluster.start('b', ['a'], { dataDir: dataOf('b'), joinTimeoutMs: 200 });
    expect(alone.digest()).toBe(digest);
  });

  it('a node whose data dir was deleted takes a new incarnation: its new writes are not taken for old ones', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a') });
    const b = await cluster.start('b', ['a'], { dataDir: dataOf('b') });
    const old = a.set('x', 1);
    await a.replicated(old, { peers: 1 });
    await a.close();
    rmSync(dataOf('a'), { recursive: true, force: true });
    const reborn = await cluster.start('a', ['b'], { dataDir: dataOf('a') });
    const fresh = reborn.set('y', 2);
    expect(fresh.origin).not.toBe(old.origin);
    await reborn.replicated(fresh, { peers: 'all' });
    expect(b.get('y')?.value).toBe(2);
    await converged([reborn, b]);
  });

  it('replicated(peers: n) waits for n acknowledgements and rejects with TIMEOUT when fewer are up', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a'), heartbeatIntervalMs: 50 });
    await cluster.start('b', ['a'], { dataDir: dataOf('b'), heartbeatIntervalMs: 50 });
    await cluster.start('c', ['a'], { heartbeatIntervalMs: 50 }); // no disk: acknowledges what it applied
    await waitFor('two peers', () => a.status().peerCount === 2);
    const version = a.set('scene.x', 1);
    await a.replicated(version, { peers: 2, timeoutMs: 10_000 });
    await a.replicated(version, { peers: 'all', timeoutMs: 10_000 });
    const error = await rejection(a.replicated(version, { peers: 3, timeoutMs: 300 }));
    expect(isStatemeshError(error, 'TIMEOUT')).toBe(true);
    expect(String((error as Error).message)).toMatch(/^@statemesh\/session: .*acknowledged by 2 of the 3/);
    expect(isStatemeshError(await rejection(a.replicated(version, { peers: -1 })), 'INVALID_ARGUMENT')).toBe(true);
    expect(isStatemeshError(await rejection(a.durable({ origin: 'a' } as never)), 'INVALID_ARGUMENT')).toBe(true);
    expect(isStatemeshError(await rejection(a.durable(version, -5)), 'INVALID_ARGUMENT')).toBe(true);
    expect(isStatemeshError(await rejection(a.replicated(null as never)), 'INVALID_ARGUMENT')).toBe(true);
  });

  it('durable() without a dataDir refuses with INVALID_CONFIG; durability without a dataDir is a config error', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    const error = await rejection(a.durable(a.set('k', 1)));
    expect(isStatemeshError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toMatch(/dataDir/);
    const refused = await rejection(join({ clusterId: 'test', nodeId: 'z', transport: 'ipc', listen: cluster.socket('z'), durability: 'sync' }));
    expect(isStatemeshError(refused, 'INVALID_CONFIG')).toBe(true);
  });

  it('a durable() wait still under way at close() ends with CLOSED, and close() leaves the writes on disk', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a') });
    const versions = Array.from({ length: 500 }, (_, i) => a.set(`burst.${i}`, i));
    const waits = versions.map((v) => a.durable(v).then(() => 'durable', (e: unknown) => (isStatemeshError(e, 'CLOSED') ? 'closed' : 'other')));
    await a.close();
    expect((await Promise.all(waits)).every((w) => w === 'durable' || w === 'closed')).toBe(true);
    const again = await cluster.start('a', [], { dataDir: dataOf('a') });
    expect(again.entries('burst').length).toBe(500);
  });

  it('a full disk refuses writes with STORE_FULL, the process stays up, and what was durable survives a restart', async () => {
    cluster = testCluster();
    const disk = new MemoryDisk();
    const start = (id: string) =>
      join(
        { clusterId: 'test', nodeId: id, transport: 'ipc', listen: cluster.socket(id), dataDir: dataOf(id) },
        { log: () => undefined, replicaStore: new MemoryReplicaStore({ disk, fullRetryMs: 20 }) },
      );
    const a = await start('a');
    const acked: Version[] = [];
    for (let i = 0; i < 20; i++) {
      const v = a.set(`before.${i}`, i);
      await a.durable(v);
      acked.push(v);
    }
    disk.capacityBytes = disk.usedBytes() + 64; // the disk fills up
    let refusedWait: unknown;
    let refusedWrite: unknown;
    for (let i = 0; i < 200 && refusedWrite === undefined; i++) {
      try {
        const v = a.set(`during.${i}`, 'x'.repeat(100));
        await a.durable(v, 2000).catch((error: unknown) => (refusedWait ??= error));
      } catch (error) {
        refusedWrite = error;
      }
    }
    expect(isStatemeshError(refusedWait, 'STORE_FULL')).toBe(true);
    expect(isStatemeshError(refusedWrite, 'STORE_FULL')).toBe(true);
    expect((refusedWrite as Error).message).toMatch(/^@statemesh\/session: the disk under dataDir is full/);
    expect(a.running).toBe(true);
    expect(a.get('before.3')?.value).toBe(3); // reads go on
    expect(a.storeStats()?.fullErrors).toBeGreaterThan(0);

    disk.capacityBytes = Number.POSITIVE_INFINITY; // space again: the refused records go to disk, writes resume
    let resumed: Version | undefined;
    await waitFor('writes to be accepted again', () => {
      try {
        resumed ??= a.set('after', 1);
        return true;
      } catch {
        return false;
      }
    });
    await a.durable(resumed!);
    await a.close();
    disk.crash(); // what was not synced is gone; everything acknowledged durable stays
    const again: Session = await start('a');
    for (const v of acked) expect(again.get(`before.${v.seq - acked[0]!.seq}`)?.value).toBe(v.seq - acked[0]!.seq);
    expect(again.get('after')?.value).toBe(1);
    await again.close();
  });

  it('publishes the writes recovered from disk that no peer acknowledged once a peer is up', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a') });
    const version = a.set('unsent', 'from disk');
    await a.durable(version);
    await a.close();
    // b does not catch up by vector: only the live stream can bring it a's write.
    const b = await cluster.start('b', [], { snapshotOnJoin: false });
    const again = await cluster.start('a', ['b'], { dataDir: dataOf('a') });
    await waitFor('b to get the recovered write', () => b.get('unsent')?.value === 'from disk');
    await again.replicated(version, { peers: 1 });
    expect(b.vector()[version.origin]).toBe(version.seq);
  });

  it('sends 25 000 writes, each batch once it is on disk, and resumes right after them', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a') });
    const b = await cluster.start('b', ['a']);
    await waitFor('connected', () => a.status().peerCount === 1);
    let last: Version | undefined;
    for (let round = 0; round < 25; round++) {
      for (let i = 0; i < 1000; i++) last = a.set(`many.${round}.${i}`, i);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await a.replicated(last!, { peers: 1, timeoutMs: 30_000 });
    expect(b.entries('many').length).toBe(25_000);
    await a.close();
    const again = await cluster.start('a', [], { dataDir: dataOf('a') });
    expect(again.set('next', 1).seq).toBe(last!.seq + 1);
  }, 60_000);

  it('a large value acknowledged durable comes back from the node\'s own disk: its reference from the log, its chunks from <dataDir>/blobs', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a') });
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) % 251);
    const version = a.setBytes('volume.density', bytes, 'volume/u8');
    await a.durable(version);
    await a.close();
    const again = await cluster.start('a', [], { dataDir: dataOf('a') });
    const value = await again.waitForData('volume.density', 10_000);
    expect(value.type).toBe('volume/u8');
    expect(Buffer.compare(Buffer.from(value.bytes!), Buffer.from(bytes))).toBe(0);
  });

  it('after a restart from disk, new writes reach the peers with no gap: replicated() resolves for them', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { dataDir: dataOf('a'), heartbeatIntervalMs: 50 });
    const b = await cluster.start('b', ['a'], { dataDir: dataOf('b'), heartbeatIntervalMs: 50 });
    const before = a.set('k', 1);
    await a.replicated(before, { peers: 1 });
    await a.close();
    const again = await cluster.start('a', ['b'], { dataDir: dataOf('a'), heartbeatIntervalMs: 50 });
    const after = again.set('k', 2);
    expect(after.seq).toBe(before.seq + 1);
    await again.replicated(after, { peers: 1, timeoutMs: 10_000 });
    expect(b.vector()[after.origin]).toBe(after.seq);
  });
});
