export { Shard } from './shard.js';
export type { PageOptions, ShardClock, ShardOptions, ShardPartition, WriteOptions } from './shard-options.js';
export type { ShardEntry, ShardValue } from './shard-value.js';
export type { ApplyResult, RejectGate, RejectReason } from './apply-result.js';
export type { Change, ChangeListener, WatchOptions } from './change.js';
export type { Conflict, ConflictWrite } from './conflict-ring.js';
export type { Mount, MountMode } from './mounts.js';
export { isValidIncarnation, newIncarnation, originOf } from './incarnation.js';
