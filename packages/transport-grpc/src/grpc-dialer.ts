import { Client, Metadata, status as Status, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { StatemeshError, type Dialer, type Link } from '@statemesh/contracts';
import { certificateNames, checkLinkToken, dialAttempt, formatHostPort } from '@statemesh/protocol';
import { parseHostPort } from './address.js';
import { GrpcLink } from './grpc-link.js';
import { resolveLinkOptions, type GrpcLinkOptions } from './link-options.js';
import { CHANNEL_PATH } from './replication-service.js';
import { errorOfStatus } from './refusal-status.js';
import { channelCredentials, channelOptions } from './security.js';

const PACKAGE = '@statemesh/transport-grpc';

/** Options of {@link grpcDialer}. */
export type GrpcDialerOptions = GrpcLinkOptions;

/**
 * Opens `Channel` calls to `address` (`host:port`), each on its own HTTP/2 connection. `dial` resolves once the
 * server accepted the call (its response headers came), and rejects with the status it refused it with.
 */
export function grpcDialer(address: string, options: GrpcDialerOptions = {}): Dialer {
  const target = formatHostPort(parseHostPort(address));
  const resolved = resolveLinkOptions(options);
  const token = checkLinkToken(PACKAGE, 'auth.outboundToken', options.auth?.outboundToken, { expected: false, headerSafe: true });
  const credentials = channelCredentials(resolved, target);
  const identity = (bytes: Buffer): Buffer => bytes;
  return {
    address,
    dial(signal?: AbortSignal): Promise<Link> {
      return dialAttempt<Link>({ source: PACKAGE, address: target, signal }, (progress) => {
        const client = new Client(target, credentials, channelOptions(resolved, 'client'));
        const metadata = new Metadata();
        if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
        const call: ClientDuplexStream<Buffer, Buffer> = client.makeBidiStreamRequest(CHANNEL_PATH, identity, identity, metadata);
        const link = new GrpcLink(call, {
          remoteAddress: `grpc://${target}`,
          dialed: true,
          highWaterMarkBytes: resolved.highWaterMarkBytes,
          maxSendBytes: resolved.maxFrameBytes,
          onClosed: () => client.close(),
        });
        call.once('metadata', () => {
          if (resolved.tls !== undefined) link.authenticatedIds = certificateNames(call.getAuthContext()?.sslPeerCertificate);
          progress.connected(link);
        });
        call.once('status', (status: StatusObject) => {
          client.close();
          progress.failed(status.code === Status.OK ? new StatemeshError('PEER_UNAVAILABLE', `${PACKAGE}: ${target} ended the call at once`) : errorOfStatus(status, target));
        });
        return () => call.cancel();
      });
    },
  };
}
