import { CodecRegistry, StatemeshError, isValidId } from '@statemesh/contracts';
import { DEFAULT_MAX_FRAME_BYTES } from '@statemesh/wire';
import type { ReconnectOptions } from '@statemesh/protocol';
import { parseHostPort, type HostPort } from './address.js';

/** PEM text or bytes of a certificate or key. */
export type Pem = string | Uint8Array;

/** TLS material of a node: its certificate and key (served, and presented when it dials) and the CA it trusts. */
export interface TlsOptions {
  /** This node's certificate chain (PEM). Needed to listen; presented as the client certificate when dialling. */
  readonly cert?: Pem | undefined;
  /** The private key of `cert` (PEM). */
  readonly key?: Pem | undefined;
  /** The CA (PEM) that signed the peers' certificates; absent: the system's roots when dialling. */
  readonly ca?: Pem | undefined;
  /** Mutual TLS: refuse clients that do not present a certificate signed by `ca` (default false). */
  readonly requireClientAuth?: boolean | undefined;
  /** Name to check the server's certificate against instead of the seed's host (`grpc.ssl_target_name_override`). */
  readonly serverName?: string | undefined;
}

/** Bearer-token authentication in the `authorization` metadata of each stream. */
export interface AuthOptions {
  /** Streams that do not carry `authorization: Bearer <expectedToken>` end with UNAUTHENTICATED. */
  readonly expectedToken?: string | undefined;
  /** The token this node sends when it dials. */
  readonly outboundToken?: string | undefined;
}

/** HTTP/2 keepalive pings, so that a dead TCP connection (pulled cable, frozen host) is noticed. */
export interface KeepaliveOptions {
  /** Ping after this long without activity (default 10 000 ms): `grpc.keepalive_time_ms`. */
  readonly timeMs?: number | undefined;
  /** Close the connection when a ping is not answered within this (default 5 000 ms): `grpc.keepalive_timeout_ms`. */
  readonly timeoutMs?: number | undefined;
}

/** Options of {@link GrpcTransport}. */
export interface GrpcTransportOptions {
  /** This node's id: 1–64 characters `[A-Za-z0-9_-]`. */
  readonly nodeId: string;
  /** Streams with nodes of another cluster are refused (`CLUSTER_MISMATCH`). */
  readonly clusterId: string;
  /** `host:port` to serve on (port 0: any free port, see `address()`); absent: dial only. */
  readonly listen?: string | undefined;
  /** `host:port` of nodes to dial, and to redial (with backoff) whenever the stream is lost, until `close()`. */
  readonly seeds?: readonly string[] | undefined;
  /** Heartbeat period; silent 3 periods is `suspect`, 5 is `dead` (default 1 000 ms). */
  readonly heartbeatIntervalMs?: number | undefined;
  /** TLS for serving and dialling; absent: plaintext (refused when `requireTls`). */
  readonly tls?: TlsOptions | undefined;
  /** Refuse to listen or dial without TLS: `start()` throws `TLS_REQUIRED` (default false). */
  readonly requireTls?: boolean | undefined;
  /** Bearer tokens: the one peers must present, the one this node presents. */
  readonly auth?: AuthOptions | undefined;
  /** Largest gRPC message sent or accepted, both sides (default 64 MiB). Bigger publish batches are split. */
  readonly maxMessageBytes?: number | undefined;
  /** Bytes queued to one peer beyond which it is disconnected as too slow (default 64 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
  /** Redial delay: exponential from `initialMs` (default 50) to `maxMs` (default 5 000), with jitter. */
  readonly reconnect?: ReconnectOptions | undefined;
  /** Codecs to decompress received compressed mutation batches (default: the built-ins, raw and rle). */
  readonly registry?: CodecRegistry | undefined;
  /** HTTP/2 keepalive, both sides. */
  readonly keepalive?: KeepaliveOptions | undefined;
  /** A stream that has not completed its Hello exchange within this time is closed (default 10 000 ms). */
  readonly handshakeTimeoutMs?: number | undefined;
  /** How long to wait for the next page of a snapshot before failing with `TIMEOUT` (default 30 000 ms). */
  readonly snapshotTimeoutMs?: number | undefined;
  /** Called with each stream-level failure (bad frame, refused Hello, auth, slow peer); default: one `console.warn` line. */
  readonly onError?: ((error: StatemeshError) => void) | undefined;
}

/** {@link GrpcTransportOptions} with defaults applied and everything validated. */
export interface ResolvedOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly listen: HostPort | undefined;
  readonly seeds: readonly HostPort[];
  readonly heartbeatIntervalMs: number;
  readonly tls: TlsOptions | undefined;
  readonly requireTls: boolean;
  readonly auth: AuthOptions;
  readonly maxMessageBytes: number;
  readonly highWaterMarkBytes: number;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly registry: CodecRegistry;
  readonly keepalive: { readonly timeMs: number; readonly timeoutMs: number };
  readonly handshakeTimeoutMs: number;
  readonly snapshotTimeoutMs: number;
  readonly onError: (error: StatemeshError) => void;
}

/** Default bytes queued to one peer before it is dropped as too slow. */
export const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024 * 1024;

/** Validates options and fills in defaults; throws `INVALID_ID` or `INVALID_CONFIG`. */
export function resolveOptions(options: GrpcTransportOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  for (const key of ['nodeId', 'clusterId'] as const) {
    if (!isValidId(options[key])) {
      throw new StatemeshError(
        'INVALID_ID',
        `@statemesh/transport-grpc: ${key} ${JSON.stringify(options[key])} is not valid: use 1-64 characters of [A-Za-z0-9_-]`,
        { details: { [key]: options[key] } },
      );
    }
  }
  const reconnect = {
    initialMs: positive('reconnect.initialMs', options.reconnect?.initialMs, 50),
    maxMs: positive('reconnect.maxMs', options.reconnect?.maxMs, 5_000),
  };
  if (reconnect.maxMs < reconnect.initialMs) throw invalid(`reconnect.maxMs (${reconnect.maxMs}) is below reconnect.initialMs (${reconnect.initialMs})`);
  if (options.seeds !== undefined && !Array.isArray(options.seeds)) throw invalid('seeds must be an array of host:port addresses');
  for (const key of ['expectedToken', 'outboundToken'] as const) {
    const token = options.auth?.[key];
    if (token !== undefined && (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token))) {
      throw invalid(`auth.${key} must be a non-empty string of printable ASCII without spaces`);
    }
  }
  return {
    nodeId: options.nodeId,
    clusterId: options.clusterId,
    listen: options.listen === undefined ? undefined : parseHostPort(options.listen, { allowPortZero: true }),
    seeds: (options.seeds ?? []).map((seed) => parseHostPort(seed)),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 1_000),
    tls: options.tls,
    requireTls: options.requireTls === true,
    auth: options.auth ?? {},
    maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_FRAME_BYTES),
    highWaterMarkBytes: positive('highWaterMarkBytes', options.highWaterMarkBytes, DEFAULT_HIGH_WATER_MARK_BYTES),
    reconnect,
    registry: options.registry ?? CodecRegistry.withBuiltins(),
    keepalive: {
      timeMs: positive('keepalive.timeMs', options.keepalive?.timeMs, 10_000),
      timeoutMs: positive('keepalive.timeoutMs', options.keepalive?.timeoutMs, 5_000),
    },
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 10_000),
    snapshotTimeoutMs: positive('snapshotTimeoutMs', options.snapshotTimeoutMs, 30_000),
    onError: options.onError ?? ((error) => console.warn(error.message)),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`${name} must be a positive number of ${name.endsWith('Bytes') ? 'bytes' : 'milliseconds'}, got ${String(value)}`);
  }
  return value;
}

function invalid(why: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `@statemesh/transport-grpc: ${why}`);
}
