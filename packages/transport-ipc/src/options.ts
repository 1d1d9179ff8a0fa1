import { CodecRegistry, StatemeshError, isValidId } from '@statemesh/contracts';
import {
  DEFAULT_MAX_FRAME_BYTES,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type ReconnectOptions,
} from '@statemesh/wire';
import { parseAddress, type IpcAddress } from './address.js';
import type { VersionRange } from './version-range.js';

/** Options of {@link IpcTransport}. */
export interface IpcTransportOptions {
  /** This node's id: 1–64 characters `[A-Za-z0-9_-]`. */
  readonly nodeId: string;
  /** Connections to nodes of another cluster are refused (`CLUSTER_MISMATCH`). */
  readonly clusterId: string;
  /** Where to accept connections: `/tmp/x.sock`, `unix:/tmp/x.sock` or `tcp://127.0.0.1:<port>` (port 0: any free port). */
  readonly listen?: string | undefined;
  /** Addresses to dial, and to redial (with backoff) whenever the connection is lost, until `close()`. */
  readonly seeds?: readonly string[] | undefined;
  /** Heartbeat period; silent 3 periods is `suspect`, 5 is `dead` (default 1 000 ms). */
  readonly heartbeatIntervalMs?: number | undefined;
  /** Largest frame body accepted or sent (default 64 MiB). Bigger publish batches are split. */
  readonly maxFrameBytes?: number | undefined;
  /** Bytes queued to one peer beyond which it is disconnected as too slow (default 64 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
  /** Redial delay: exponential from `initialMs` (default 50) to `maxMs` (default 5 000), with jitter. */
  readonly reconnect?: ReconnectOptions | undefined;
  /** Codecs to decompress received compressed mutation batches (default: the built-ins, raw and rle). */
  readonly registry?: CodecRegistry | undefined;
  /** Protocol versions this node speaks (default: all that `@statemesh/wire` speaks). For rolling upgrades and tests. */
  readonly protocolVersions?: VersionRange | undefined;
  /** A connection that has not completed its Hello exchange within this time is closed (default 10 000 ms). */
  readonly handshakeTimeoutMs?: number | undefined;
  /** How long to wait for the next page of a snapshot before failing with `TIMEOUT` (default 30 000 ms). */
  readonly snapshotTimeoutMs?: number | undefined;
  /** Called with each connection-level failure (bad frame, refused Hello, slow peer...); default: one `console.warn` line. */
  readonly onError?: ((error: StatemeshError) => void) | undefined;
}

/** {@link IpcTransportOptions} with defaults applied and everything validated. */
export interface ResolvedOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly listen: IpcAddress | undefined;
  readonly seeds: readonly IpcAddress[];
  readonly heartbeatIntervalMs: number;
  readonly maxFrameBytes: number;
  readonly highWaterMarkBytes: number;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly registry: CodecRegistry;
  readonly protocolVersions: VersionRange;
  readonly handshakeTimeoutMs: number;
  readonly snapshotTimeoutMs: number;
  readonly onError: (error: StatemeshError) => void;
}

/** Default bytes queued to one peer before it is dropped as too slow. */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024 * 1024;

/** Validates options and fills in defaults; throws `INVALID_ID` or `INVALID_CONFIG`. */
export function resolveOptions(options: IpcTransportOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  for (const key of ['nodeId', 'clusterId'] as const) {
    if (!isValidId(options[key])) {
      throw new StatemeshError(
        'INVALID_ID',
        `@statemesh/transport-ipc: ${key} ${JSON.stringify(options[key])} is not valid: use 1-64 characters of [A-Za-z0-9_-]`,
        { details: { [key]: options[key] } },
      );
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
  if (options.seeds !== undefined && !Array.isArray(options.seeds)) throw invalid('seeds must be an array of addresses');
  const maxFrameBytes = positive('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
  return {
    nodeId: options.nodeId,
    clusterId: options.clusterId,
    listen: options.listen === undefined ? undefined : parseAddress(options.listen, { allowPortZero: true }),
    seeds: (options.seeds ?? []).map((seed) => parseAddress(seed)),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 1_000),
    maxFrameBytes,
    highWaterMarkBytes: positive('highWaterMarkBytes', options.highWaterMarkBytes, DEFAULT_HIGH_WATER_MARK_BYTES),
    reconnect,
    registry: options.registry ?? CodecRegistry.withBuiltins(),
    protocolVersions: { min, max },
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 10_000),
    snapshotTimeoutMs: positive('snapshotTimeoutMs', options.snapshotTimeoutMs, 30_000),
    onError: options.onError ?? ((error) => console.warn(error.message)),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalid(`${name} must be a positive number of ${name.endsWith('Bytes') ? 'bytes' : 'milliseconds'}, got ${String(value)}`);
  return value;
}

function invalid(why: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `@statemesh/transport-ipc: ${why}`);
}
