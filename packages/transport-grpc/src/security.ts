import { ChannelCredentials, ServerCredentials, type ChannelOptions, type Metadata } from '@grpc/grpc-js';
import { StatemeshError } from '@statemesh/contracts';
import { ENVELOPE_OVERHEAD_BYTES, invalidConfig, type ResolvedLinkOptions } from './link-options.js';

const PACKAGE = '@statemesh/transport-grpc';
/**
 * The HTTP/2 receive window a dialler announces for its call. HTTP/2's default, 64 KiB, makes a server that sends
 * 4 MiB batches wait for a window update from the dialler every 32 KiB: the batches pile up in grpc-js on the
 * sending node and cost it CPU to slice (measured in the session benchmark). grpc-js offers no such setting for a
 * server, so what a dialler sends goes through the 64 KiB window.
 */
const RECEIVE_WINDOW_BYTES = 16 * 1024 * 1024;

/** Server credentials: TLS with `tls.cert` and `tls.key` (mutual with `requireClientAuth`), else plaintext. */
export function serverCredentials(options: ResolvedLinkOptions, address: string): ServerCredentials {
  const tls = options.tls;
  if (tls?.cert === undefined || tls.key === undefined) {
    if (options.requireTls || tls !== undefined) {
      throw new StatemeshError('TLS_REQUIRED', `${PACKAGE}: ${address} must serve TLS (${options.requireTls ? 'requireTls is set' : 'tls is given'}) but tls.cert and tls.key are not both given; pass the node's certificate and key (PEM)`);
    }
    return ServerCredentials.createInsecure();
  }
  if (tls.requireClientAuth === true && tls.ca === undefined) throw invalidConfig("tls.requireClientAuth needs tls.ca, the CA that signs the clients' certificates");
  return ServerCredentials.createSsl(tls.ca === undefined ? null : toBuffer(tls.ca), [{ cert_chain: toBuffer(tls.cert), private_key: toBuffer(tls.key) }], tls.requireClientAuth === true);
}

/** Channel credentials for dialling: TLS (this node's certificate as the client's) or plaintext. */
export function channelCredentials(options: ResolvedLinkOptions, address: string): ChannelCredentials {
  const tls = options.tls;
  if (tls === undefined) {
    if (options.requireTls) throw new StatemeshError('TLS_REQUIRED', `${PACKAGE}: dialling ${address} needs TLS (requireTls is set); pass tls.ca (and tls.cert/tls.key for mutual TLS)`);
    return ChannelCredentials.createInsecure();
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw invalidConfig('give both tls.cert and tls.key, or neither');
  return ChannelCredentials.createSsl(tls.ca === undefined ? null : toBuffer(tls.ca), tls.key === undefined ? null : toBuffer(tls.key), tls.cert === undefined ? null : toBuffer(tls.cert));
}

/** Channel arguments: message limits both ways and keepalive pings; a client gets its own connection per call. */
export function channelOptions(options: ResolvedLinkOptions, side: 'server' | 'client'): ChannelOptions {
  const common: ChannelOptions = {
    'grpc.max_receive_message_length': options.maxFrameBytes + ENVELOPE_OVERHEAD_BYTES,
    'grpc.max_send_message_length': options.maxFrameBytes + ENVELOPE_OVERHEAD_BYTES,
    'grpc.keepalive_time_ms': options.keepalive.timeMs,
    'grpc.keepalive_timeout_ms': options.keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
  // The server accepts the clients' pings instead of answering them with GOAWAY.
  if (side === 'server') return { ...common, 'grpc.http2.min_ping_interval_without_data_ms': Math.min(options.keepalive.timeMs, 5_000) };
  const client: ChannelOptions = { ...common, 'grpc.use_local_subchannel_pool': 1, 'grpc.enable_retries': 0, 'grpc-node.flow_control_window': RECEIVE_WINDOW_BYTES };
  if (options.tls?.serverName !== undefined) {
    client['grpc.ssl_target_name_override'] = options.tls.serverName;
    client['grpc.default_authority'] = options.tls.serverName;
  }
  return client;
}

/** The bearer token of a call's `authorization` metadata, and why it does not pass if it does not. */
export function bearerToken(metadata: Metadata): { readonly token?: string; readonly problem: string } {
  const value = metadata.get('authorization')[0];
  if (value === undefined) return { problem: 'no authorization metadata' };
  if (typeof value !== 'string' || !value.startsWith('Bearer ')) return { problem: 'authorization metadata is not a Bearer token' };
  return { token: value.slice('Bearer '.length), problem: 'wrong bearer token' };
}

/** grpc-js takes PEM only as a Buffer (Node's own TLS takes any Uint8Array). */
function toBuffer(pem: string | Uint8Array): Buffer {
  return typeof pem === 'string' ? Buffer.from(pem) : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength);
}
