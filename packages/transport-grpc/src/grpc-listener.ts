import { Metadata, Server, type ServerDuplexStream } from '@grpc/grpc-js';
import { StatemeshError, type Link, type Listener } from '@statemesh/contracts';
import { AdmissionGate, assertListenSafe, bindListener, certificateNames, checkLinkToken, formatHostPort, type HostPort } from '@statemesh/protocol';
import { parseListenAddress } from './address.js';
import { GrpcLink } from './grpc-link.js';
import { resolveLinkOptions, type GrpcLinkOptions, type ResolvedLinkOptions } from './link-options.js';
import { replicationService } from './replication-service.js';
import { refusalStatus } from './refusal-status.js';
import { bearerToken, channelOptions, serverCredentials } from './security.js';

const PACKAGE = '@statemesh/transport-grpc';

/** Options of {@link grpcListener}. */
export interface GrpcListenerOptions extends GrpcLinkOptions {
  /** Allow a non-loopback address without TLS and authentication (a token or client certificates). */
  readonly insecure?: boolean | undefined;
  /** Called with every refused call (default: one `console.warn` line). */
  readonly onError?: ((error: StatemeshError) => void) | undefined;
}

/** A {@link Listener} of gRPC calls, with the count of calls it refused. */
export interface GrpcListener extends Listener {
  /** Calls refused for a missing or wrong token since it started. */
  readonly authFailures: number;
}

/**
 * Serves `statemesh.v1.Replication/Channel` at `address` (`host:port`, or a port alone for loopback; port 0: any
 * free port). Every call that passes the token check becomes a link.
 */
export function grpcListener(address: string, options: GrpcListenerOptions = {}): GrpcListener {
  return new ChannelListener(parseListenAddress(address), resolveLinkOptions(options), options);
}

class ChannelListener implements GrpcListener {
  readonly #at: HostPort;
  readonly #options: ResolvedLinkOptions;
  readonly #token: string | undefined;
  readonly #gate: AdmissionGate;
  readonly #insecure: boolean;
  readonly #onError: (error: StatemeshError) => void;
  #server: Server | undefined;
  #port: number;
  #closed = false;
  readonly #calls = new Set<GrpcLink>();

  constructor(at: HostPort, options: ResolvedLinkOptions, given: GrpcListenerOptions) {
    this.#at = at;
    this.#port = at.port;
    this.#options = options;
    this.#token = checkLinkToken(PACKAGE, 'auth.expectedToken', given.auth?.expectedToken, { expected: true, headerSafe: true });
    this.#gate = new AdmissionGate({ expectedToken: this.#token });
    this.#insecure = given.insecure === true;
    this.#onError = given.onError ?? ((error) => console.warn(error.message));
  }

  get authFailures(): number {
    return this.#gate.stats().refusedToken;
  }

  get address(): string {
    return formatHostPort({ host: this.#at.host, port: this.#port });
  }

  async start(accept: (link: Link) => void): Promise<void> {
    if (this.#server !== undefined || this.#closed) throw new StatemeshError('INVALID_ARGUMENT', `${PACKAGE}: start() was already called on the listener at ${this.address}`);
    const credentials = serverCredentials(this.#options, this.address);
    const authenticated = this.#token !== undefined || this.#options.tls?.requireClientAuth === true;
    assertListenSafe({ source: PACKAGE, address: this.address, host: this.#at.host, tls: this.#options.tls !== undefined, authenticated, insecure: this.#insecure });
    const server = new Server(channelOptions(this.#options, 'server'));
    server.addService(replicationService, { Channel: (call: ServerDuplexStream<Buffer, Buffer>) => this.#call(call, accept) });
    this.#server = server;
    this.#port = await bindListener(PACKAGE, this.address, (done) => server.bindAsync(formatHostPort(this.#at), credentials, done)).catch((error: unknown) => {
      server.forceShutdown();
      throw error;
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#server !== undefined && this.#calls.size > 0) this.#server.unbind(formatHostPort({ host: this.#at.host, port: this.#port }));
    else this.#server?.forceShutdown(); // the last link to close shuts the server down otherwise
    return Promise.resolve();
  }

  #call(call: ServerDuplexStream<Buffer, Buffer>, accept: (link: Link) => void): void {
    call.on('error', () => {});
    const from = `grpc://${call.getPeer()}`;
    if (this.#closed) {
      call.emit('error', refusalStatus('CLOSED', `${PACKAGE}: the listener at ${this.address} is closing`));
      return;
    }
    const bearer = bearerToken(call.metadata);
    if (!this.#gate.check(bearer.token)) {
      this.#report(new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: refused a call from ${from}: ${bearer.problem}; the peer must present the token this listener expects`, { details: { address: from } }));
      call.emit('error', refusalStatus('UNAUTHENTICATED', `${PACKAGE}: ${bearer.problem}`));
      return;
    }
    call.sendMetadata(new Metadata()); // tells the dialler the call is accepted
    const verified = this.#options.tls?.requireClientAuth === true;
    const link = new GrpcLink(call, {
      remoteAddress: from,
      dialed: false,
      authenticatedIds: verified ? certificateNames(call.getAuthContext().sslPeerCertificate) : undefined,
      highWaterMarkBytes: this.#options.highWaterMarkBytes,
      maxSendBytes: this.#options.maxFrameBytes,
      onClosed: () => {
        this.#calls.delete(link);
        if (this.#closed && this.#calls.size === 0) this.#server?.forceShutdown();
      },
    });
    this.#calls.add(link);
    accept(link);
  }

  #report(error: StatemeshError): void {
    try {
      this.#onError(error);
    } catch {
      // A throwing callback must not take the listener down.
    }
  }
}
