export { join } from './join.js';
export type { JoinOptions } from './join.js';
export { Session } from './session.js';
export type { PeerStatus, SessionProgress, SessionStatus } from './session.js';
export { resolveConfig } from './config.js';
export type { AuthConfig, SessionConfig, TlsConfig, TransportKind } from './config.js';
export { RECENT_CONFLICTS_IN_TREE, metricsToPaths } from './metrics.js';
export type { SessionMetrics } from './metrics.js';

// The vocabulary and the standalone pieces, so that installing @statemesh/session alone is enough.
export { ERROR_CODES, StatemeshError, isStatemeshError, isUnder, parsePath } from '@statemesh/contracts';
export type { BlobRef, Entry, ErrorCode, Mutation, PeerState, Version, VersionVector } from '@statemesh/contracts';
export { HashPartition, HashRing } from '@statemesh/hash-ring';
export { BrickManifest, bricksInFrustum, bricksInRegion, frustumFromMatrix, orderFrontToBack } from '@statemesh/brick-manifest';
export type { Brick, Plane } from '@statemesh/brick-manifest';
export { HybridClock } from '@statemesh/hlc';
export type { Change, ChangeListener, Conflict, ShardEntry, ShardValue } from '@statemesh/shard';
export { realTimers } from './timers.js';
export type { TimerHandle, Timers } from './timers.js';
export { SequenceMark } from './sequence-mark.js';
export type { SequenceStore } from './sequence-mark.js';
export { CompositeTransport } from './composite-transport.js';
export type { BridgeConfig } from './config.js';
