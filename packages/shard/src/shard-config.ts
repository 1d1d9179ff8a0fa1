import { StatemeshError, isValidId, isValidPath } from '@statemesh/contracts';
import { HybridClock } from '@statemesh/hlc';
import { positiveInteger } from './argument-check.js';
import { Mounts } from './mounts.js';
import { config, invalidId } from './shard-errors.js';
import type { ShardClock, ShardOptions, ShardPartition } from './shard-options.js';

const DEFAULT_MAX_INLINE = 65_536;
const DEFAULT_MAX_VALUE = 1024 * 1024 * 1024;
const DEFAULT_BLOB_CACHE = 64 * 1024 * 1024;
const PREFIX = '@statemesh/shard: ';

/** A shard's options, checked (`INVALID_CONFIG`, `INVALID_ID`, `INVALID_PATH`) and with their defaults filled in. */
export interface ShardConfig {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly clock: ShardClock;
  /** The prefixes held; empty for the whole tree. */
  readonly interests: readonly string[];
  readonly partition: ShardPartition | undefined;
  readonly enforcePartition: boolean;
  readonly mounts: Mounts | undefined;
  readonly maxInline: number;
  readonly maxValue: number;
  readonly tombstoneTtlMs: number | undefined;
  readonly blobCache: number;
  readonly resolveConflicts: boolean;
  readonly warn: (line: string) => void;
}

/** Checks `options` and fills in the defaults. */
export function shardConfig(options: ShardOptions): ShardConfig {
  if (typeof options !== 'object' || options === null) throw config('options must be an object with clusterId and nodeId');
  if (!isValidId(options.clusterId)) throw invalidId('clusterId', options.clusterId);
  if (!isValidId(options.nodeId)) throw invalidId('nodeId', options.nodeId);
  const enforcePartition = options.enforcePartition ?? false;
  if (enforcePartition && options.partition === undefined) {
    throw config('enforcePartition needs a partition: pass partition: HashPartition.uniform([...nodes])');
  }
  const interests = options.interests ?? [];
  for (const prefix of interests) {
    if (!isValidPath(prefix)) throw new StatemeshError('INVALID_PATH', `${PREFIX}interest ${JSON.stringify(prefix)} is not a valid path prefix; use dot-separated segments of [A-Za-z0-9_-]`);
  }
  return {
    clusterId: options.clusterId,
    nodeId: options.nodeId,
    clock: options.clock ?? new HybridClock(),
    interests: interests.includes('') ? [] : [...interests],
    partition: options.partition,
    enforcePartition,
    mounts: Mounts.of(options.mounts),
    maxInline: positiveInteger(options.maxInlinePayloadBytes, DEFAULT_MAX_INLINE, 'maxInlinePayloadBytes', 0),
    maxValue: positiveInteger(options.maxValueBytes, DEFAULT_MAX_VALUE, 'maxValueBytes', 1),
    tombstoneTtlMs: options.tombstoneTtlMs === undefined ? undefined : positiveInteger(options.tombstoneTtlMs, 0, 'tombstoneTtlMs', 0),
    blobCache: positiveInteger(options.blobCacheBytes, DEFAULT_BLOB_CACHE, 'blobCacheBytes', 0),
    resolveConflicts: options.resolveConflicts ?? true,
    warn: options.logger ?? ((line: string) => console.warn(line)),
  };
}
