import { ProtocolTransport, type ProtocolTransportOptions } from '@statemesh/protocol';
import { grpcDialer } from './grpc-dialer.js';
import { grpcListener, type GrpcListenerOptions } from './grpc-listener.js';
import { GRPC_MAX_FRAME_BYTES, type GrpcLinkOptions } from './link-options.js';

/**
 * Options of {@link grpcTransport}: the engine's, with a gRPC address to serve on, seeds, and the link options
 * its listener and dialers share (`maxFrameBytes` is the engine's, and its links').
 */
export interface GrpcTransportOptions extends Omit<ProtocolTransportOptions, 'listeners' | 'dialers'>, Pick<GrpcLinkOptions, 'tls' | 'requireTls' | 'auth' | 'keepalive'>, Pick<GrpcListenerOptions, 'insecure'> {
  /** `host:port` (or a port alone, on loopback) to serve on; absent: dial only. */
  readonly listen?: string | undefined;
  /** `host:port` of nodes to dial, and to redial with backoff whenever the link is lost, until `close()`. */
  readonly seeds?: readonly string[] | undefined;
}

/**
 * A `ProtocolTransport` over gRPC links only: one listener (optional) and one dialer per seed. Frames stay under
 * {@link GRPC_MAX_FRAME_BYTES} unless `maxFrameBytes` says otherwise, so catch-up pages fit gRPC's usual limit.
 */
export function grpcTransport(options: GrpcTransportOptions): ProtocolTransport {
  const { listen, seeds, tls, requireTls, auth, insecure, keepalive, ...engine } = options;
  const maxFrameBytes = engine.maxFrameBytes ?? GRPC_MAX_FRAME_BYTES;
  const link = { tls, requireTls, keepalive, maxFrameBytes, auth };
  return new ProtocolTransport({
    ...engine,
    maxFrameBytes,
    listeners: listen === undefined ? [] : [grpcListener(listen, { ...link, insecure, onError: engine.onError })],
    dialers: (seeds ?? []).map((seed) => grpcDialer(seed, link)),
  });
}
