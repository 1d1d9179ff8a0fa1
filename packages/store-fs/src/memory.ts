// The memory store alone, without `node:fs`: `@statemesh/store-fs/memory`.
export { MemoryReplicaStore } from './memory-replica-store.js';
export type { MemoryReplicaStoreOptions } from './memory-replica-store.js';
export { MemoryDisk } from './memory-disk.js';
export type { MemoryDiskOptions } from './memory-disk.js';
export { LogReplicaStore } from './log-replica-store.js';
export type { LogReplicaStoreOptions } from './log-replica-store.js';
export type { AppendFile, Disk } from './disk.js';
