import { mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplicaStoreConformance } from '@statemesh/contracts/testing';
import { FileReplicaStore, MemoryDisk, MemoryReplicaStore } from '@statemesh/store-fs';
import type { LogReplicaStore } from '@statemesh/store-fs';

/** The log file a store appends to: the highest segment. */
async function lastLog(dir: string): Promise<string> {
  const logs = (await readdir(dir)).filter((name) => name.startsWith('log-')).sort();
  return join(dir, logs.at(-1)!);
}

runReplicaStoreConformance<string>({
  name: 'FileReplicaStore',
  place: () => mkdtemp(join(tmpdir(), 'statemesh-store-')),
  create: (dir, options) => new FileReplicaStore({ dir, ...options }),
  crash: (store) => (store as LogReplicaStore).abandon(),
  logLength: async (dir) => (await stat(await lastLog(dir))).size,
  truncateLog: async (dir, length) => truncate(await lastLog(dir), length),
  flipLogByte: async (dir, offset) => {
    const file = await lastLog(dir);
    const bytes = await readFile(file);
    bytes[offset] = bytes[offset]! ^ 0xff;
    await writeFile(file, bytes);
  },
  remove: (dir) => rm(dir, { recursive: true, force: true }),
});

async function lastMemoryLog(disk: MemoryDisk): Promise<string> {
  return (await disk.list()).filter((name) => name.startsWith('log-')).sort().at(-1)!;
}

runReplicaStoreConformance<MemoryDisk>({
  name: 'MemoryReplicaStore (torn crashes)',
  place: () => new MemoryDisk({ seed: 7 }),
  create: (disk, options) => new MemoryReplicaStore({ disk, ...options }),
  crash: async (store, disk) => {
    await (store as LogReplicaStore).abandon();
    disk.crash({ tear: true });
  },
  logLength: async (disk) => disk.file(await lastMemoryLog(disk))!.length,
  truncateLog: async (disk, length) => {
    const name = await lastMemoryLog(disk);
    disk.setFile(name, disk.file(name)!.subarray(0, length));
  },
  flipLogByte: async (disk, offset) => {
    const name = await lastMemoryLog(disk);
    const bytes = disk.file(name)!;
    bytes[offset] = bytes[offset]! ^ 0xff;
    disk.setFile(name, bytes);
  },
  remove: () => undefined,
});

