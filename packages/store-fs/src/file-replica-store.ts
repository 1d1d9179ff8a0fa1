import { StatemeshError } from '@statemesh/contracts';
import { LogReplicaStore } from './log-replica-store.js';
import type { LogReplicaStoreOptions } from './log-replica-store.js';
import { NodeDisk } from './node-disk.js';

/** Options of a {@link FileReplicaStore}. */
export interface FileReplicaStoreOptions extends LogReplicaStoreOptions {
  /** The directory the store keeps its files in (created when missing); one directory per node. */
  readonly dir: string;
}

/** The durable `ReplicaStore` of a node: log segments and snapshots in `dir`. */
export class FileReplicaStore extends LogReplicaStore {
  /** The directory the store lives in. */
  readonly dir: string;

  constructor(options: FileReplicaStoreOptions) {
    if (typeof options?.dir !== 'string' || options.dir.length === 0) {
      throw new StatemeshError('INVALID_CONFIG', '@statemesh/store-fs: FileReplicaStore needs { dir }: the data directory of this node');
    }
    super(new NodeDisk(options.dir), options);
    this.dir = options.dir;
  }
}
