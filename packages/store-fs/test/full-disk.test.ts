import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMutation, isStatemeshError } from '@statemesh/contracts';
import type { CheckedMutation, ReplicaStore } from '@statemesh/contracts';
import { FileReplicaStore, MemoryDisk, MemoryReplicaStore } from '@statemesh/store-fs';

const ME = { clusterId: 'c', nodeId: 'me' };
const VALUE = new Uint8Array(1000).fill(7);

function write(seq: number): CheckedMutation {
  return checkMutation({ origin: 'me', seq, hlc: 5_000n + BigInt(seq), path: `k.n${seq}`, op: 'set', type: 'bytes', payload: VALUE });
}

/** Writes one record per commit until the disk refuses; returns the seqs whose commit resolved. */
async function fillUp(store: ReplicaStore): Promise<{ acknowledged: number[]; error: unknown }> {
  const acknowledged: number[] = [];
  for (let seq = 1; seq < 100_000; seq++) {
    try {
      store.append({ kind: 'local', mutations: [write(seq)] });
      await store.commit();
      acknowledged.push(seq);
    } catch (error) {
      return { acknowledged, error };
    }
  }
  throw new Error('the disk never filled up');
}

/** Checks what a full disk must do to `store`; returns the acknowledged seqs. */
async function expectRefusedWhenFull(store: ReplicaStore): Promise<number[]> {
  const { acknowledged, error } = await fillUp(store);
  expect(acknowledged.length).toBeGreaterThan(10);
  expect(error).toMatchObject({ code: 'STORE_FULL' });
  expect(isStatemeshError(error)).toBe(true);
  expect((error as Error).message).toMatch(/^@statemesh\/store-fs: .*full/);
  // Right after, writes are refused at once, and the process is fine.
  expect(() => store.append({ kind: 'sequence', seq: 1 })).toThrow(expect.objectContaining({ code: 'STORE_FULL' }));
  expect(store.stats().fullErrors).toBe(1);
  return acknowledged;
}

function expectAll(seqs: number[], entries: readonly { version: { seq: number } }[]): void {
  const present = new Set(entries.map((e) => e.version.seq));
  for (const seq of seqs) expect(present.has(seq), `acknowledged write ${seq} lost`).toBe(true);
}

describe('a full disk (injected ENOSPC on a memory disk)', () => {
  it('refuses writes with STORE_FULL and keeps every acknowledged one across a restart', async () => {
    const disk = new MemoryDisk({ capacityBytes: 64 * 1024 });
    const store = new MemoryReplicaStore({ disk, fullRetryMs: 60_000 });
    await store.open(ME);
    const acknowledged = await expectRefusedWhenFull(store);
    await store.close();
    disk.crash();
    disk.capacityBytes = Number.POSITIVE_INFINITY;
    const again = new MemoryReplicaStore({ disk });
    const recovered = await again.open(ME);
    expectAll(acknowledged, recovered.entries);
    expect(recovered.truncatedBytes).toBe(0); // the failed write was cut at once
    await again.close();
  });

  it('accepts writes again once space is free, after fullRetryMs', async () => {
    const disk = new MemoryDisk({ capacityBytes: 32 * 1024 });
    const store = new MemoryReplicaStore({ disk, fullRetryMs: 0 });
    await store.open(ME);
    const { acknowledged } = await fillUp(store);
    disk.capacityBytes = Number.POSITIVE_INFINITY;
    expect(acknowledged.length).toBeGreaterThan(0);
    const seq = acknowledged.length + 5;
    store.append({ kind: 'local', mutations: [write(seq)] });
    await store.commit();
    await store.close();
    const again = new MemoryReplicaStore({ disk });
    expect((await again.open(ME)).entries.map((e) => e.version.seq)).toContain(seq);
    await again.close();
  });
});

describe('a full disk during a snapshot', () => {
  it.each([0, 3, 16, 40, 200, 2000])('with %i bytes left: the snapshot fails with STORE_FULL, the log goes on, and a later snapshot works', async (room) => {
    const disk = new MemoryDisk();
    const store = new MemoryReplicaStore({ disk, snapshotAfterBytes: 0, fullRetryMs: 0 });
    await store.open(ME);
    for (let seq = 1; seq <= 20; seq++) store.append({ kind: 'local', mutations: [write(seq)] });
    await store.commit();
    disk.capacityBytes = disk.usedBytes() + room;
    await expect(store.snapshot()).rejects.toMatchObject({ code: 'STORE_FULL' });
    // Nothing half-made is left behind: the log being appended to is still the last segment.
    const names = await disk.list();
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const logs = names.filter((n) => n.startsWith('log-')).sort();
    expect(disk.file(logs.at(-1)!)!.length).toBeGreaterThanOrEqual(16);
    disk.capacityBytes = Number.POSITIVE_INFINITY;
    store.append({ kind: 'local', mutations: [write(21)] });
    await store.commit();
    await store.snapshot();
    await store.close();
    const again = new MemoryReplicaStore({ disk });
    const recovered = await again.open(ME);
    expect(recovered.entries.map((e) => e.version.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    await again.close();
  });
});

// A real file system: a 256 KiB tmpfs mounted by the test (needs root and mount rights; skipped otherwise).
const mountable = canMount();
describe.skipIf(!mountable)('a full disk (a tiny tmpfs)', () => {
  let mountPoint: string;
  beforeAll(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'statemesh-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]);
  });
  afterAll(async () => {
    execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('refuses writes with STORE_FULL and keeps every acknowledged write once space is freed', async () => {
    const ballast = join(mountPoint, 'ballast');
    await writeFile(ballast, new Uint8Array(32 * 1024));
    const dir = join(mountPoint, 'data');
    const store = new FileReplicaStore({ dir, fullRetryMs: 60_000 });
    await store.open(ME);
    const acknowledged = await expectRefusedWhenFull(store);
    await store.close();
    await rm(ballast);
    const again = new FileReplicaStore({ dir });
    const recovered = await again.open(ME);
    expectAll(acknowledged, recovered.entries);
    expect(recovered.outbox.length).toBe(acknowledged.length);
    await again.close();
  });
});

function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = join(tmpdir(), `statemesh-mount-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', probe]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    execFileSync('rmdir', [probe]);
  }
}
