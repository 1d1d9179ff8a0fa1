import { StatemeshError, isValidId, type Dialer, type Listener, type Timers } from '@statemesh/contracts';
import { DEFAULT_MAX_FRAME_BYTES, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from '@statemesh/wire';
import type { ReconnectOptions } from './backoff.js';
import { DEFAULT_MAX_CHUNK_REQUESTS_PER_PEER } from './chunk-requests.js';
import { positiveOption } from './positive-option.js';
import { realTimers } from './real-timers.js';

/** The protocol versions a node speaks, inclusive. */
export interface ProtocolVersions {
  readonly min: number;
  readonly max: number;
}

/** Options of {@link ProtocolTransport}. */
export interface ProtocolTransportOptions {
  /** This node's id: 1–64 characters `[A-Za-z0-9_-]`. */
  readonly nodeId: string;
  /** Links to nodes of another cluster are refused (`CLUSTER_MISMATCH`). */
  readonly clusterId: string;
  /** Where links are accepted (any mix of kinds: IPC, gRPC, memory...). */
  readonly listeners?: readonly Listener[] | undefined;
  /** Seeds: each is dialled, and redialled with backoff whenever its link is lost, until `close()`. */
  readonly dialers?: readonly Dialer[] | undefined;
  /** Heartbeat period, announced in the Hello; a peer silent 3 of ITS periods is `suspect`, 5 `dead` (default 1 000 ms). */
  readonly heartbeatIntervalMs?: number | undefined;
  /** A link that has not completed its Hello within this time is closed (default 10 000 ms). */
  readonly handshakeTimeoutMs?: number | undefined;
  /** How long after batches arrive this node acknowledges them (one Ack for all of them; default 5 ms). */
  readonly ackDelayMs?: number | undefined;
  /** How long to wait for the next page of a snapshot before failing with `TIMEOUT` (default 30 000 ms). */
  readonly snapshotTimeoutMs?: number | undefined;
  /** Protocol versions this node speaks (default: all that `@statemesh/wire` speaks). For rolling upgrades and tests. */
  readonly protocolVersions?: ProtocolVersions | undefined;
  /** Largest frame body accepted or sent once the Hello is done (default 64 MiB). Bigger batches and pages are split. */
  readonly maxFrameBytes?: number | undefined;
  /** Bytes queued to one peer beyond which it is dropped as too slow (default 64 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
  /** Per listener: bytes that links still without a Hello may hold, at 64 KiB each (default 4 MiB: 63 links). */
  readonly maxHelloPendingBytes?: number | undefined;
  /** Chunk requests in flight to one peer (default 8); more wait their turn, their timeout running. */
  readonly maxChunkRequestsPerPeer?: number | undefined;
  /** Redial delay: exponential from `initialMs` (default 50) to `maxMs` (default 5 000), with jitter. */
  readonly reconnect?: ReconnectOptions | undefined;
  /** The clock and timers everything waits on (default: real timers that never keep the process alive). */
  readonly timers?: Timers | undefined;
  /** Random numbers in [0, 1) for the redial jitter (default `Math.random`). */
  readonly random?: (() => number) | undefined;
  /** Called with each link-level failure (bad frame, refused Hello, slow peer...); default: one `console.warn` line. */
  readonly onError?: ((error: StatemeshError) => void) | undefined;
}

/** {@link ProtocolTransportOptions} with defaults applied and everything validated. */
export interface ResolvedOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly listeners: readonly Listener[];
  readonly dialers: readonly Dialer[];
  readonly heartbeatIntervalMs: number;
  readonly handshakeTimeoutMs: number;
  readonly ackDelayMs: number;
  readonly snapshotTimeoutMs: number;
  readonly protocolVersions: ProtocolVersions;
  readonly maxFrameBytes: number;
  readonly highWaterMarkBytes: number;
  readonly maxHelloPendingBytes: number;
  readonly maxChunkRequestsPerPeer: number;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly timers: Timers;
  readonly random: () => number;
  readonly onError: (error: StatemeshError) => void;
}

/** The package name that prefixes every message of this package. */
export const PACKAGE = '@statemesh/protocol';
/** Largest Hello body read before the handshake (DESIGN.md section 3). */
export const MAX_HELLO_BYTES = 64 * 1024;
/** Default bytes queued to one peer before it is dropped as too slow. */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024 * 1024;

/** Validates options and fills in defaults; throws `INVALID_ID` or `INVALID_CONFIG`. */
export function resolveOptions(options: ProtocolTransportOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  for (const key of ['nodeId', 'clusterId'] as const) {
    if (!isValidId(options[key])) {
      throw new StatemeshError('INVALID_ID', `${PACKAGE}: ${key} ${JSON.stringify(options[key])} is not valid: use 1-64 characters of [A-Za-z0-9_-]`, {
        details: { [key]: options[key] },
      });
    }
  }
  const reconnect = {
    initialMs: positive('reconnect.initialMs', options.reconnect?.initialMs, 50),
    maxMs: positive('reconnect.maxMs', options.reconnect?.maxMs, 5_000),
  };
  if (reconnect.maxMs < reconnect.initialMs) throw invalid(`reconnect.maxMs (${reconnect.maxMs}) is below reconnect.initialMs (${reconnect.initialMs})`);
  const protocolVersions = options.protocolVersions ?? { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION };
  const { min, max } = protocolVersions;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || max > 0xffff) {
    throw invalid(`protocolVersions ${JSON.stringify(protocolVersions)} is not a range of versions 1-65535 with min <= max`);
  }
  for (const key of ['listeners', 'dialers'] as const) {
    if (options[key] !== undefined && !Array.isArray(options[key])) throw invalid(`${key} must be an array`);
  }
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 1_000);
  if (heartbeatIntervalMs > 0xffffffff) throw invalid(`heartbeatIntervalMs ${heartbeatIntervalMs} is over 4294967295`);
  return {
    nodeId: options.nodeId,
    clusterId: options.clusterId,
    listeners: [...(options.listeners ?? [])],
    dialers: [...(options.dialers ?? [])],
    heartbeatIntervalMs: Math.round(heartbeatIntervalMs),
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 10_000),
    ackDelayMs: positive('ackDelayMs', options.ackDelayMs, 5),
    snapshotTimeoutMs: positive('snapshotTimeoutMs', options.snapshotTimeoutMs, 30_000),
    protocolVersions: { min, max },
    maxFrameBytes: positive('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES),
    highWaterMarkBytes: positive('highWaterMarkBytes', options.highWaterMarkBytes, DEFAULT_HIGH_WATER_MARK_BYTES),
    maxHelloPendingBytes: positive('maxHelloPendingBytes', options.maxHelloPendingBytes, 4 * 1024 * 1024),
    maxChunkRequestsPerPeer: Math.ceil(positive('maxChunkRequestsPerPeer', options.maxChunkRequestsPerPeer, DEFAULT_MAX_CHUNK_REQUESTS_PER_PEER)),
    reconnect,
    timers: options.timers ?? realTimers,
    random: options.random ?? Math.random,
    onError: options.onError ?? ((error) => console.warn(error.message)),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  return positiveOption(PACKAGE, name, value, fallback);
}

function invalid(why: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `${PACKAGE}: ${why}`);
}
