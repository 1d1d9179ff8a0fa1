import { timingSafeEqual } from 'node:crypto';
import { ChannelCredentials, Metadata, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { StatemeshError } from '@statemesh/contracts';
import type { Pem, ResolvedOptions } from './options.js';

const PACKAGE = '@statemesh/transport-grpc';

/**
 * Server credentials from the options: TLS when `tls.cert` and `tls.key` are given (mutual TLS with
 * `requireClientAuth`), else plaintext. Throws `TLS_REQUIRED` under `requireTls` without a certificate.
 */
export function serverCredentials(options: ResolvedOptions): ServerCredentials {
  const tls = options.tls;
  if (tls?.cert === undefined || tls.key === undefined) {
    if (options.requireTls || tls !== undefined) {
      throw new StatemeshError(
        'TLS_REQUIRED',
        `${PACKAGE}: node ${options.nodeId} must serve TLS (${options.requireTls ? 'requireTls is set' : 'tls is configured'}) but tls.cert and tls.key are not both given; pass the node's certificate and key (PEM)`,
      );
    }
    return ServerCredentials.createInsecure();
  }
  if (tls.requireClientAuth === true && tls.ca === undefined) {
    throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: tls.requireClientAuth needs tls.ca, the CA that signs the clients' certificates`);
  }
  return ServerCredentials.createSsl(
    tls.ca === undefined ? null : toBuffer(tls.ca),
    [{ cert_chain: toBuffer(tls.cert), private_key: toBuffer(tls.key) }],
    tls.requireClientAuth === true,
  );
}

/** Channel credentials for dialling: TLS (with this node's certificate as the client certificate) or plaintext; `TLS_REQUIRED` under `requireTls` without `tls`. */
export function channelCredentials(options: ResolvedOptions): ChannelCredentials {
  const tls = options.tls;
  if (tls === undefined) {
    if (options.requireTls) {
      throw new StatemeshError(
        'TLS_REQUIRED',
        `${PACKAGE}: node ${options.nodeId} must dial with TLS (requireTls is set) but has no tls options; pass tls.ca (and tls.cert/tls.key for mutual TLS)`,
      );
    }
    return ChannelCredentials.createInsecure();
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: give both tls.cert and tls.key, or neither`);
  }
  return ChannelCredentials.createSsl(
    tls.ca === undefined ? null : toBuffer(tls.ca),
    tls.key === undefined ? null : toBuffer(tls.key),
    tls.cert === undefined ? null : toBuffer(tls.cert),
  );
}

/** Channel arguments shared by server and client: message limits both ways and keepalive pings. */
export function grpcOptions(options: ResolvedOptions, side: 'server' | 'client'): ChannelOptions {
  const common: ChannelOptions = {
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.keepalive_time_ms': options.keepalive.timeMs,
    'grpc.keepalive_timeout_ms': options.keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
  if (side === 'server') {
    // Accept the clients' pings (ours ping every keepalive.timeMs) instead of answering them with GOAWAY.
    return { ...common, 'grpc.http2.min_ping_interval_without_data_ms': Math.min(options.keepalive.timeMs, 5_000) };
  }
  const client: ChannelOptions = {
    ...common,
    // One TCP connection per dialled stream: a stream dropped as dead takes its connection with it.
    'grpc.use_local_subchannel_pool': 1,
    'grpc.initial_reconnect_backoff_ms': options.reconnect.initialMs,
    'grpc.max_reconnect_backoff_ms': options.reconnect.maxMs,
    'grpc.enable_retries': 0,
  };
  if (options.tls?.serverName !== undefined) {
    client['grpc.ssl_target_name_override'] = options.tls.serverName;
    client['grpc.default_authority'] = options.tls.serverName;
  }
  return client;
}

/** The call metadata a dialling node sends: `authorization: Bearer <outboundToken>` when it has one. */
export function outboundMetadata(options: ResolvedOptions): Metadata {
  const metadata = new Metadata();
  if (options.auth.outboundToken !== undefined) metadata.set('authorization', `Bearer ${options.auth.outboundToken}`);
  return metadata;
}

/** Why a stream's metadata fails `auth.expectedToken`, or undefined when it passes (or no token is expected). */
export function authFailure(options: ResolvedOptions, metadata: Metadata): string | undefined {
  const expected = options.auth.expectedToken;
  if (expected === undefined) return undefined;
  const values = metadata.get('authorization');
  if (values.length === 0) return 'no authorization metadata';
  const value = values[0];
  if (typeof value !== 'string' || !value.startsWith('Bearer ')) return 'authorization metadata is not a Bearer token';
  const given = Buffer.from(value.slice('Bearer '.length));
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return 'wrong bearer token';
  return undefined;
}

function toBuffer(pem: Pem): Buffer {
  return typeof pem === 'string' ? Buffer.from(pem) : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength);
}
