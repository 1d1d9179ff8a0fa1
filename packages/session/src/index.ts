export { join } from './join.js';
export type { JoinOptions } from './join.js';
export { Session } from './session.js';
export type { FetchOptions } from './session.js';
export type { PeerStatus, SessionProgress, SessionStatus } from './session-status.js';
export type { ReplicatedOptions } from './replication-waits.js';
export type { BlobFetchStats, FetchBlobOptions } from './blob-fetch.js';
export { resolveConfig } from './config.js';
export type { AuthConfig, HydratePolicy, SessionConfig, TransportKind } from './config.js';
export { RECENT_CONFLICTS_IN_TREE } from './metrics.js';
export type { SessionMetrics } from './metrics.js';

// The vocabulary and the standalone pieces, so that installing @statemesh/session alone is enough.
export { ERROR_CODES, StatemeshError, isStatemeshError, isUnder, nodeOfOrigin, parsePath } from '@statemesh/contracts';
export type { BlobRef, Durability, Entry, ErrorCode, Mutation, PeerState, ReplicaStoreStats, TlsOptions, Version, VersionVector } from '@statemesh/contracts';
export { HashPartition, HashRing } from '@statemesh/hash-ring';
export { BrickManifest, bricksInFrustum, bricksInRegion, frustumFromMatrix, orderFrontToBack } from '@statemesh/brick-manifest';
export type { Brick, Plane } from '@statemesh/brick-manifest';
export { HybridClock } from '@statemesh/hlc';
export type { Change, ChangeListener, Conflict, ShardEntry, ShardValue, WatchOptions } from '@statemesh/shard';
export type { TimerHandle, Timers } from '@statemesh/contracts';
export type { SequenceStore } from './sequence-mark.js';
export type { BridgeConfig } from './config.js';
