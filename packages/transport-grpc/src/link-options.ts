import { StatemeshError, type TlsOptions } from '@statemesh/contracts';
import { positiveOption } from '@statemesh/protocol';

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
  /**
   * TLS for serving and dialling; absent: plaintext (refused when `requireTls`). With `requireClientAuth`, a peer's
   * node id must be a name of its certificate.
   */
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

/** `T` with every option given: none optional, none undefined. */
type Defaulted<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> };

/**
 * {@link GrpcLinkOptions} with defaults applied: `tls` stays optional (absent: plaintext), and `auth` is not here
 * (the listener and the dialer each check the token they use).
 */
export interface ResolvedLinkOptions extends Defaulted<Omit<GrpcLinkOptions, 'auth' | 'tls' | 'keepalive'>> {
  readonly tls: GrpcLinkOptions['tls'];
  readonly keepalive: Defaulted<KeepaliveOptions>;
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
