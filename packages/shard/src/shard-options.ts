import type { PutChunkedOptions } from '@statemesh/blob-store';
import type { BlobStore } from '@statemesh/contracts';
import type { HybridTime } from '@statemesh/hlc';
import type { Mount } from './mounts.js';

/** The clock a shard stamps writes with: `HybridClock` from `@statemesh/hlc`, or any object that behaves like it. */
export interface ShardClock {
  /** A local event: a time greater than every time seen so far. */
  now(): HybridTime;
  /** A receive event; throws `StatemeshError` `CLOCK_DRIFT` (leaving the clock unchanged) for a time too far ahead. */
  update(remote: HybridTime): HybridTime;
  /** The latest time, without advancing. */
  current(): HybridTime;
}

/** The partition gate's view of a `HashPartition` from `@statemesh/hash-ring`. */
export interface ShardPartition {
  ownerOf(path: string): string | undefined;
}

/** Options of `new Shard(...)`. */
export interface ShardOptions {
  /** Cluster id (1-64 characters of `[A-Za-z0-9_-]`). */
  readonly clusterId: string;
  /** This node's id (1-64 characters of `[A-Za-z0-9_-]`): the origin of every local write. */
  readonly nodeId: string;
  /**
   * This run's incarnation (1-16 characters of `[0-9a-z]`, `newIncarnation()` makes one): local writes then carry
   * the origin `<nodeId>~<incarnation>` and are numbered from 1 again. Give a node restarted without its sequence
   * state a new one, so that it never reuses an `(origin, seq)` pair; absent: the origin is `nodeId`.
   */
  readonly incarnation?: string | undefined;
  /** Clock used to stamp writes; default a new `HybridClock()`. */
  readonly clock?: ShardClock | undefined;
  /** Hash partition (a `HashPartition`) consulted when `enforcePartition` is true. */
  readonly partition?: ShardPartition | undefined;
  /** Reject remote sets of paths the partition assigns to another node (default false). */
  readonly enforcePartition?: boolean | undefined;
  /** Prefixes this replica holds; empty or absent means the whole tree. Remote writes outside them are rejected. */
  readonly interests?: readonly string[] | undefined;
  /**
   * Authority per subtree: `read-only` refuses this node's writes there (`READ_ONLY`), `authoritative` refuses
   * remote writes there (counted as `rejected.authority`, never claimed by the vector). The most specific mount
   * applies; a delete also counts for the mounts under its path. Default: `read-write` everywhere.
   */
  readonly mounts?: readonly Mount[] | undefined;
  /** Record conflicts in the ring and counters (default true). Resolution is last-writer-wins either way. */
  readonly resolveConflicts?: boolean | undefined;
  /** Where values longer than `maxInlinePayloadBytes` are stored as chunked blobs. */
  readonly blobStore?: BlobStore | undefined;
  /** Options for `putChunked` when offloading a value (chunk size, codec, registry). */
  readonly offload?: PutChunkedOptions | undefined;
  /**
   * With `blobStore`: how many bytes of large (blob) values are kept in memory, most recently used first
   * (default 64 MiB); the others are read back from the store by `read(path)`. Without a store, hydrated bytes stay.
   */
  readonly blobCacheBytes?: number | undefined;
  /** Longest value kept inline in a mutation (default 65 536 bytes). */
  readonly maxInlinePayloadBytes?: number | undefined;
  /** Longest value accepted at all (default 1 GiB). */
  readonly maxValueBytes?: number | undefined;
  /** When set, `compactTombstones()` also drops tombstones older than this many milliseconds. */
  readonly tombstoneTtlMs?: number | undefined;
  /** Where one-line warnings go (a failing watch listener, a failed offload); default `console.warn`. */
  readonly logger?: ((line: string) => void) | undefined;
}

/** Options of a local write. */
export interface WriteOptions {
  /** Internal: allow a write under the reserved `__system` prefix (the session's metrics). */
  readonly system?: boolean | undefined;
}

/** Options of `snapshot` and `since`. */
export interface PageOptions {
  /** Only entries under these prefixes (and tombstones at or above them); empty or absent: the whole tree. */
  readonly prefixes?: readonly string[] | undefined;
  /** Entries per page (default 1000). */
  readonly pageSize?: number | undefined;
}
