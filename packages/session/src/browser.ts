// The browser entry (`exports` condition `browser`): join() over WebSocket, a memory blob store, zstd decoded by
// fzstd. No `node:` module on this path: no grpc-js, no native zstd, no file stores (test/browser-bundle.test.ts).
import { CodecRegistry, StatemeshError, isStatemeshError, type BlobStore, type Timers } from '@statemesh/contracts';
import { MemoryBlobStore } from '@statemesh/blob-store';
import { HybridClock } from '@statemesh/hlc';
import { Shard, newIncarnation } from '@statemesh/shard';
import { ProtocolTransport, realTimers } from '@statemesh/protocol';
import { websocketDialer, type WebSocketConstructor } from '@statemesh/transport-websocket/browser';
import { resolveConfig, type SessionConfig } from './config.js';
import { RefusedTokenWatch } from './refused-token-watch.js';
import { Session } from './session.js';
import { zstdDecoder } from './zstd-decoder.js';

export { Session } from './session.js';
export type { FetchOptions } from './session.js';
export type { PeerStatus, SessionProgress, SessionStatus } from './session-status.js';
export type { BlobFetchStats, FetchBlobOptions } from './blob-fetch.js';
export type { HydratePolicy } from './config.js';
export { RECENT_CONFLICTS_IN_TREE } from './metrics.js';
export type { SessionMetrics } from './metrics.js';
export { zstdDecoder } from './zstd-decoder.js';
export { ERROR_CODES, StatemeshError, isStatemeshError, isUnder, nodeOfOrigin, parsePath } from '@statemesh/contracts';
export type { BlobRef, Entry, ErrorCode, Mutation, PeerState, Version, VersionVector } from '@statemesh/contracts';
export { HashPartition, HashRing } from '@statemesh/hash-ring';
export { BrickManifest, bricksInFrustum, bricksInRegion, frustumFromMatrix, orderFrontToBack } from '@statemesh/brick-manifest';
export type { Brick, Plane } from '@statemesh/brick-manifest';
export { HybridClock } from '@statemesh/hlc';
export type { Change, ChangeListener, Conflict, ShardEntry, ShardValue, WatchOptions } from '@statemesh/shard';
export type { TimerHandle, Timers } from '@statemesh/contracts';

/** The Node config's replication fields, which the browser `join()` takes as they are (validated by the same rules). */
type SharedFields =
  | 'clusterId' | 'nodeId' | 'interests' | 'resolveConflicts' | 'maxInlinePayloadBytes' | 'hydrate' | 'snapshotOnJoin'
  | 'pumpIntervalMs' | 'heartbeatIntervalMs' | 'metricsIntervalMs' | 'antiEntropyIntervalMs' | 'catchUpPageTimeoutMs'
  | 'joinTimeoutMs' | 'requirePeers';

/** What the browser `join()` accepts: the Node config's replication fields, with WebSocket seeds. */
export interface BrowserSessionConfig extends Pick<SessionConfig, SharedFields> {
  /** Nodes to dial: `wss://host:port/path` (`ws://` only on loopback or without `requireTls`). */
  readonly seeds: readonly string[];
  /** The token the listening nodes expect, sent in the first message (never in the URL). */
  readonly token?: string | undefined;
  /** Refuse `ws://` seeds (default false). */
  readonly requireTls?: boolean | undefined;
  /** Codec for the chunks this tab writes: `raw` (default) or `rle`; zstd chunks from peers decode either way. */
  readonly blobCodec?: 'rle' | 'raw' | undefined;
}

/** Options for the browser `join()` that are not part of the config. */
export interface BrowserJoinOptions {
  /** Where one-line warnings go (default `console.warn`). */
  readonly log?: ((line: string) => void) | undefined;
  /** A WebSocket constructor instead of the global one (`ws`'s in Node 20, which has none). */
  readonly WebSocket?: WebSocketConstructor | undefined;
  /** A blob store instead of a new memory one (an IndexedDB one, say). */
  readonly blobStore?: BlobStore | undefined;
  /** Timers instead of the real ones (`@statemesh/protocol`'s `realTimers`). */
  readonly timers?: Timers | undefined;
  /** The wall clock of the hybrid logical clock (default `Date.now`). */
  readonly wallClock?: (() => number) | undefined;
}

const BROWSER_FIELDS = new Set([
  'clusterId', 'nodeId', 'seeds', 'token', 'requireTls', 'interests', 'resolveConflicts', 'maxInlinePayloadBytes', 'blobCodec', 'hydrate',
  'snapshotOnJoin', 'pumpIntervalMs', 'heartbeatIntervalMs', 'metricsIntervalMs', 'antiEntropyIntervalMs', 'catchUpPageTimeoutMs', 'joinTimeoutMs', 'requirePeers',
]);

/**
 * Joins a cluster from a browser: dials the `seeds` over WebSocket (the token in the first message), keeps blobs in
 * memory, decodes zstd chunks in JavaScript, and waits for the first catch-up. A refused token shows as the peer's
 * `UNAUTHENTICATED` in `status()` and in the log, or as `NO_PEERS` from `join()` with `requirePeers`.
 */
export async function join(config: BrowserSessionConfig, options: BrowserJoinOptions = {}): Promise<Session> {
  const { token, requireTls, ...rest } = checkFields(config);
  if (rest.blobCodec !== undefined && rest.blobCodec !== 'raw' && rest.blobCodec !== 'rle') {
    fail('blobCodec', `must be 'raw' or 'rle' in a browser (zstd chunks decode, but cannot be encoded here), not ${JSON.stringify(rest.blobCodec)}`);
  }
  if (token !== undefined && (typeof token !== 'string' || token === '')) fail('token', 'must be a non-empty string');
  if (!Array.isArray(rest.seeds) || rest.seeds.length === 0) fail('seeds', 'must name at least one wss:// node to dial: a browser cannot listen');
  const resolved = resolveConfig({ ...rest, transport: 'ipc', blobCodec: rest.blobCodec ?? 'raw' });
  for (const seed of resolved.seeds) {
    if (requireTls === true && !seed.startsWith('wss:')) fail('seeds', `holds ${seed}, which is not wss:// while requireTls is true`);
  }
  const log = options.log ?? ((line: string) => console.warn(line));
  const timers = options.timers ?? realTimers;
  const registry = CodecRegistry.withBuiltins().register(zstdDecoder);
  const blobStore = options.blobStore ?? new MemoryBlobStore();
  const wallClock = options.wallClock ?? Date.now;
  const shard = new Shard({
    clusterId: resolved.clusterId,
    nodeId: resolved.nodeId,
    // Nothing is kept across page loads: every start is a new incarnation (ADR 0004), never a reused (origin, seq).
    incarnation: newIncarnation(wallClock()),
    clock: new HybridClock({ now: wallClock }),
    partition: resolved.partition,
    enforcePartition: resolved.enforcePartition,
    interests: resolved.interests,
    resolveConflicts: resolved.resolveConflicts,
    blobStore,
    offload: { registry, codec: resolved.blobCodec, chunking: 'cdc' },
    maxInlinePayloadBytes: resolved.maxInlinePayloadBytes,
    logger: log,
  });
  const refusedToken = new RefusedTokenWatch();
  const transport = new ProtocolTransport({
    nodeId: resolved.nodeId,
    clusterId: resolved.clusterId,
    heartbeatIntervalMs: resolved.heartbeatIntervalMs,
    dialers: resolved.seeds.map((seed) => refusedToken.watch(websocketDialer(seed, { token, WebSocket: options.WebSocket }))),
    timers,
    onError: (error) => log(error.message),
  });
  const session = new Session({ config: resolved, shard, transport, blobStore, registry, sequenceMark: undefined, log, timers });
  try {
    await session.start();
  } catch (error) {
    await session.close().catch(() => undefined);
    const refusals = refusedToken.refusals();
    if (isStatemeshError(error) && error.code === 'NO_PEERS' && refusals.size > 0) {
      throw new StatemeshError('UNAUTHENTICATED', `@statemesh/session: ${[...refusals.keys()].join(', ')} refused this node's token; check config.token`, {
        cause: error,
        details: { seeds: [...refusals.keys()] },
      });
    }
    throw error;
  }
  return session;
}

function checkFields(config: BrowserSessionConfig): BrowserSessionConfig {
  if (typeof config !== 'object' || config === null) fail('config', 'must be an object');
  for (const field of Object.keys(config)) {
    if (!BROWSER_FIELDS.has(field)) fail(field, 'is not an option of the browser join() (check its spelling; listen, tls and file stores are Node-only)');
  }
  return config;
}

function fail(field: string, problem: string): never {
  throw new StatemeshError('INVALID_CONFIG', `@statemesh/session: config.${field} ${problem}`, { details: { field } });
}
