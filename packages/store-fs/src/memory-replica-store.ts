import { LogReplicaStore } from './log-replica-store.js';
import type { LogReplicaStoreOptions } from './log-replica-store.js';
import { MemoryDisk } from './memory-disk.js';

/** Options of a {@link MemoryReplicaStore}. */
export interface MemoryReplicaStoreOptions extends LogReplicaStoreOptions {
  /** The virtual disk (shared by the stores a simulated node opens in turn); default a new one. */
  readonly disk?: MemoryDisk | undefined;
}

/**
 * The same log store on a {@link MemoryDisk}: for simulators, where `disk.crash({ tear: true })` kills every
 * process at once and tears their unsynced writes, deterministically for a seed.
 */
export class MemoryReplicaStore extends LogReplicaStore {
  /** The virtual disk this store writes to. */
  readonly disk: MemoryDisk;

  constructor(options: MemoryReplicaStoreOptions = {}) {
    const disk = options.disk ?? new MemoryDisk();
    super(disk, options);
    this.disk = disk;
  }
}
