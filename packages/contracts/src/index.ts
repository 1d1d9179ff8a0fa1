export { ERROR_CODES, StatemeshError, isStatemeshError } from './error.js';
export type { ErrorCode, StatemeshErrorOptions } from './error.js';
export {
  MAX_ID_LENGTH,
  MAX_PATH_BYTES,
  MAX_SEGMENT_LENGTH,
  SYSTEM_PREFIX,
  assertId,
  assertPath,
  isSystemPath,
  isUnder,
  isUnderAny,
  isValidId,
  isValidPath,
  joinPath,
  parsePath,
} from './path.js';
export {
  MAX_ORIGIN_LENGTH,
  VersionStamp,
  compareVersions,
  isValidOrigin,
  mergeVectors,
  nodeOfOrigin,
  vectorCovers,
  versionFromJSON,
  versionToJSON,
} from './version.js';
export type { Version, VersionJSON, VersionVector } from './version.js';
export { mostSpecificPrefix, touchesAnySubtree, touchesSubtree } from './interest.js';
export { VALUE_TYPES, isBlobRef } from './mutation.js';
export type { BlobRef, Entry, Mutation, Op, Payload } from './mutation.js';
export { checkEntries, checkEntry, checkMutation, checkMutations, entryProblem, isValidType, mutationProblem } from './checked-mutation.js';
export type { CheckedEntry, CheckedMutation } from './checked-mutation.js';
export { CodecRegistry, DEFAULT_MAX_DECODED_BYTES, rawCodec, rleCodec } from './codec.js';
export type { Codec, DecodeOptions } from './codec.js';
export { isDigest } from './blob-store.js';
export type { BlobStore } from './blob-store.js';
export type {
  ChunkSource,
  FetchChunkOptions,
  HelloInfo,
  PeerEvent,
  PeerInfo,
  PeerState,
  SnapshotPage,
  SnapshotRequest,
  Transport,
  TransportHost,
  TransportStats,
} from './transport.js';
export type { Dialer, Link, LinkEvents, LinkFrame, Listener } from './link.js';
export type { TimerHandle, Timers } from './timers.js';
export type { TlsOptions } from './tls-options.js';
export type {
  Durability,
  HashSpan,
  RecoveredReplica,
  ReplicaIdentity,
  ReplicaRecord,
  ReplicaScope,
  ReplicaStore,
  ReplicaStoreStats,
} from './replica-store.js';
