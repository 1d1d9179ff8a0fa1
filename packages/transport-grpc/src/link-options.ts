import { StatemeshError } from '@statemesh/contracts';
import { positiveOption } from '@statemesh/protocol';

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
  /** Name to check the server's certificate against instead of the address's host. */
  readonly serverName?: string | undefined;
}

/** HTTP/2 keepalive pings, so that a dead TCP connection (pulled cable, frozen host) is noticed. */
export interface KeepaliveOptions {
  /** Ping after this long without activity (default 10 000 ms). */
  readonly timeMs?: number | undefined;
  /** Close the connection when a ping is not answered within this (default 5 000 ms). */
  readonly timeoutMs?: number | undefined;
}

/** Bearer tokens in the `authorization` metadata of each call. */
export interface AuthOptions {
  /** A listener refuses calls that do not carry `authorization: Bearer <expectedToken>` (`UNAUTHENTICATED`). */
  readonly expectedToken?: string | undefined;
  /** A dialer sends this token on every call. */
  readonly outboundToken?: string | undefined;
}

/** Options both {@link grpcListener} and {@link grpcDialer} take (one set can serve both). */
export interface GrpcLinkOptions {
  /** Bearer tokens: the one a listener expects, the one a dialer presents. */
  readonly auth?: AuthOptions | undefined;
  /** TLS; absent: plaintext (refused when `requireTls`). */
  readonly tls?: TlsOptions | undefined;
  /** Refuse to listen or dial without TLS (`TLS_REQUIRED`; default false). */
  readonly requireTls?: boolean | undefined;
  /** Largest frame body sent or received (default {@link GRPC_MAX_FRAME_BYTES}, under gRPC's usual 4 MiB limit). */
  readonly maxFrameBytes?: number | undefined;
  /** Bytes queued on a link past which `send` returns false until `drain` (default 8 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
  /** HTTP/2 keepalive, both sides. */
  readonly keepalive?: KeepaliveOptions | undefined;
}

/** Default largest frame body: 4 MiB less room for the Envelope's field header, so a message fits gRPC's default limit. */
export const GRPC_MAX_FRAME_BYTES = 4 * 1024 * 1024 - 64;
/** Bytes an Envelope adds to its frame body at most (a 3-byte tag and a 5-byte length). */
export const ENVELOPE_OVERHEAD_BYTES = 8;

/** Options with defaults applied. */
export interface ResolvedLinkOptions {
  readonly tls: TlsOptions | undefined;
  readonly requireTls: boolean;
  readonly maxFrameBytes: number;
  readonly highWaterMarkBytes: number;
  readonly keepalive: { readonly timeMs: number; readonly timeoutMs: number };
}

/** Validates `options` and fills in defaults; throws `INVALID_CONFIG`. */
export function resolveLinkOptions(options: GrpcLinkOptions): ResolvedLinkOptions {
  if (typeof options !== 'object' || options === null) throw invalidConfig('options must be an object');
  return {
    tls: options.tls,
    requireTls: options.requireTls === true,
    maxFrameBytes: positive('maxFrameBytes', options.maxFrameBytes, GRPC_MAX_FRAME_BYTES),
    highWaterMarkBytes: positive('highWaterMarkBytes', options.highWaterMarkBytes, 8 * 1024 * 1024),
    keepalive: { timeMs: positive('keepalive.timeMs', options.keepalive?.timeMs, 10_000), timeoutMs: positive('keepalive.timeoutMs', options.keepalive?.timeoutMs, 5_000) },
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  return positiveOption('@statemesh/transport-grpc', name, value, fallback);
}

/** An `INVALID_CONFIG` error of this package. */
export function invalidConfig(why: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `@statemesh/transport-grpc: ${why}`);
}
