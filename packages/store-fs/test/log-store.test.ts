import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '@statemesh/contracts/testing';
import { checkMutation, type CheckedMutation, type Durability, type ReplicaRecord } from '@statemesh/contracts';
import { FileReplicaStore, LogReplicaStore, MemoryReplicaStore, NodeDisk } from '@statemesh/store-fs';
import type { AppendFile, Disk } from '@statemesh/store-fs';

const ME = { clusterId: 'c', nodeId: 'me' };
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'statemesh-store-'));
  dirs.push(dir);
  return dir;
}

function write(seq: number, path = `k.n${seq}`): CheckedMutation {
  return checkMutation({ origin: 'me', seq, hlc: 9_000n + BigInt(seq), path, op: 'set', type: 'json', payload: new TextEncoder().encode(String(seq)) });
}

/** A real directory that counts the writes and fdatasyncs reaching it. */
class CountingDisk implements Disk {
  readonly inner: NodeDisk;
  writes = 0;
  syncs = 0;
  constructor(dir: string) {
    this.inner = new NodeDisk(dir);
  }
  describe(name: string): string {
    return this.inner.describe(name);
  }
  ensure(): Promise<void> {
    return this.inner.ensure();
  }
  list(): Promise<string[]> {
    return this.inner.list();
  }
  read(name: string): Promise<Uint8Array> {
    return this.inner.read(name);
  }
  async append(name: string): Promise<AppendFile> {
    const file = await this.inner.append(name);
    return {
      write: (bytes) => {
        this.writes++;
        return file.write(bytes);
      },
      sync: () => {
        this.syncs++;
        return file.sync();
      },
      truncate: (length) => file.truncate(length),
      close: () => file.close(),
    };
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  remove(name: string): Promise<void> {
    return this.inner.remove(name);
  }
  syncDirectory(): Promise<void> {
    return this.inner.syncDirectory();
  }
  lock(): Promise<void> {
    return this.inner.lock();
  }
  unlock(): Promise<void> {
    return this.inner.unlock();
  }
}

describe('durability', () => {
  it.each([
    ['batched', 1, 1],
    ['sync', 100, 100],
    ['none', 1, 0],
  ] as const)('%s: 100 appends in one tick cost %i write(s) and %i fdatasync(s)', async (durability: Durability, writes, syncs) => {
    const disk = new CountingDisk(await freshDir());
    const store = new LogReplicaStore(disk, { durability });
    await store.open(ME);
    const before = { writes: disk.writes, syncs: disk.syncs };
    for (let seq = 1; seq <= 100; seq++) store.append({ kind: 'local', mutations: [write(seq)] });
    await store.commit();
    expect({ writes: disk.writes - before.writes, syncs: disk.syncs - before.syncs }).toEqual({ writes, syncs });
    await store.close();
  });

  it('batched: appends made while a flush is on disk go out together in the next one', async () => {
    const disk = new CountingDisk(await freshDir());
    const store = new LogReplicaStore(disk, { durability: 'batched' });
    await store.open(ME);
    const before = disk.syncs;
    const commits: Promise<void>[] = [];
    for (let tick = 0; tick < 20; tick++) {
      for (let i = 0; i < 50; i++) store.append({ kind: 'local', mutations: [write(tick * 50 + i + 1)] });
      commits.push(store.commit());
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(commits);
    expect(disk.syncs - before).toBeGreaterThanOrEqual(1);
    expect(disk.syncs - before).toBeLessThanOrEqual(20);
    await store.close();
  });
});

describe('snapshots', () => {
  it('start in the background once the log passes snapshotAfterBytes, and compact it', async () => {
    const dir = await freshDir();
    const store = new FileReplicaStore({ dir, snapshotAfterBytes: 16 * 1024 });
    await store.open(ME);
    for (let seq = 1; seq <= 2000; seq++) {
      store.append({ kind: 'local', mutations: [write(seq, `k.n${seq % 100}`)] });
      if (seq % 50 === 0) await store.commit();
    }
    await store.commit();
    await waitFor(() => store.stats().snapshots >= 1, { message: 'a background snapshot' });
    await store.close();
    const stats = store.stats();
    expect(stats.snapshotEntries).toBe(100);
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith('snapshot-'))).toHaveLength(1);
    const again = new FileReplicaStore({ dir });
    const recovered = await again.open(ME);
    expect(recovered.entries).toHaveLength(100);
    expect(recovered.entries.find((e) => e.path === 'k.n7')!.version.seq).toBe(1907);
    expect(recovered.lastSequence).toBe(2000);
    // The outbox holds only writes that still win: one per key.
    expect(recovered.outbox).toHaveLength(100);
    await again.close();
  });

  it('let the event loop run while they fold a large log (a node keeps answering heartbeats)', async () => {
    // On a memory disk no I/O waits turn the loop: only the store's own slicing does.
    const store = new MemoryReplicaStore({ snapshotAfterBytes: 0 });
    await store.open(ME);
    for (let at = 0; at < 40_000; at += 1000) {
      store.append({ kind: 'local', mutations: Array.from({ length: 1000 }, (_, i) => checkMutation({ ...write(at + i + 1), payload: new Uint8Array(100) })) });
    }
    await store.commit();
    let turns = 0;
    let done = false;
    const spin = (): void => {
      turns++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    await store.snapshot();
    done = true;
    expect(store.stats().snapshotEntries).toBe(40_000);
    // About 6 MB of log folded in slices of 512 KiB: a turn of the loop after each (12 in all).
    expect(turns).toBeGreaterThanOrEqual(8); // 3 without slicing
    await store.close();
  });

  it('a snapshot left half-written by a crash is removed on open', async () => {
    const dir = await freshDir();
    const store = new FileReplicaStore({ dir });
    await store.open(ME);
    store.append({ kind: 'local', mutations: [write(1)] });
    await store.close();
    await writeFile(join(dir, 'snapshot-000000000002.sms.tmp'), 'half a snapshot');
    const again = new FileReplicaStore({ dir });
    expect((await again.open(ME)).entries).toHaveLength(1);
    expect((await readdir(dir)).sort()).toEqual(['LOCK', 'log-000000000001.sml']);
    await again.close();
  });
});

describe('one store per directory', () => {
  it('a second store on an open directory refuses; after close, or after its process died, it opens', async () => {
    const dir = await freshDir();
    const first = new FileReplicaStore({ dir });
    await first.open(ME);
    const second = new FileReplicaStore({ dir });
    await expect(second.open(ME)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining(`process ${process.pid}`) });
    await second.close();
    await first.close();
    expect(await readdir(dir)).not.toContain('LOCK');
    // A lock left by a process that no longer exists (a SIGKILL) is taken over.
    await writeFile(join(dir, 'LOCK'), '2147483646\n');
    const third = new FileReplicaStore({ dir });
    expect((await third.open(ME)).incarnation).toBe(2);
    await third.close();
  });
});

describe('bad input', () => {
  it('refuses a number the wire cannot carry, and the store\'s own kinds', async () => {
    const store = new FileReplicaStore({ dir: await freshDir() });
    await store.open(ME);
    expect(() => store.append({ kind: 'sequence', seq: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => store.append({ kind: 'incarnation', incarnation: 9 } as unknown as ReplicaRecord)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => store.append({ kind: 'nonsense' } as unknown as ReplicaRecord)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(store.stats().pendingRecords).toBe(0);
    await store.close();
  });

  it('refuses bad options', () => {
    expect(() => new FileReplicaStore({ dir: '' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new FileReplicaStore({ dir: '/tmp/x', durability: 'always' as Durability })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new FileReplicaStore({ dir: '/tmp/x', snapshotAfterBytes: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
