// Size: this package is ~600 code lines (what several links share is @statemesh/protocol's), above the ~300 of a link factory, because a WebSocket listener is also
// an HTTP(S) server: the upgrade and its Origin check, the token in the first message (its wait, bound and counts
// are protocol's AdmissionGate), attaching to a user's server, mutual TLS, and a browser entry
// with its own dialer over the standard WebSocket (no `ws` hooks, polled back-pressure). No protocol logic is
// here: the Hello, dispatch, liveness and splitting are @statemesh/protocol's.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContextOptions } from 'node:tls';
import { StatemeshError, type Link, type Listener, type TlsOptions } from '@statemesh/contracts';
import { AdmissionGate, assertListenSafe, bindListener, certificateNames, checkLinkToken, formatHostPort, realTimers, type AdmissionRefusal } from '@statemesh/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_AUTH_MESSAGE_BYTES, READY_MESSAGE, decodeAuthMessage } from './auth-message.js';
import { CLOSE_CODE, closeReason } from './close-codes.js';
import { WebSocketLink } from './websocket-link.js';
import type { WebSocketLike } from './websocket-like.js';
import { wsHooks } from './ws-hooks.js';

/** Options of {@link websocketListener}. */
export interface WebsocketListenerOptions {
  /** Interface to listen on when standalone (default 127.0.0.1). Anything but loopback needs TLS and a token, or `insecure`. */
  readonly host?: string | undefined;
  /** Port when standalone (default 0: any free port). */
  readonly port?: number | undefined;
  /** An existing `http`/`https` server to attach to instead (it is not closed by `close()`). */
  readonly server?: HttpServer | HttpsServer | undefined;
  /** The URL path WebSocket upgrades are taken at (default `/statemesh`). */
  readonly path?: string | undefined;
  /**
   * TLS material for a standalone `wss` listener: `cert` and `key` (both needed), `ca` and `requireClientAuth`
   * (mutual TLS: refuse clients without a certificate signed by `ca`; a client's Hello must then name a node id of
   * its certificate). `serverName` is a dialer's.
   */
  readonly tls?: TlsOptions | undefined;
  /** The token every client must send in its first message. */
  readonly token?: string | undefined;
  /** Browser origins allowed (`https://viewer.example`); a request with another Origin is refused with 403. */
  readonly allowedOrigins?: readonly string[] | undefined;
  /** Refuses an upgrade request with 403 when it returns false (e.g. a Host check against DNS rebinding); counted in `refusedRequest`. */
  readonly checkRequest?: ((request: IncomingMessage) => boolean) | undefined;
  /** Allow a non-loopback listener without TLS and a token or client certificates (DESIGN section 7). */
  readonly insecure?: boolean | undefined;
  /** Connections waiting for their auth message, at most (default 64); more are closed with 4429. */
  readonly maxPendingAuth?: number | undefined;
  /** Time a connection has to send its auth message (default 5 000 ms); then it is closed with 4408. */
  readonly authTimeoutMs?: number | undefined;
  /** Bytes queued on a WebSocket past which `send` returns false (default 1 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
}

/** What a {@link WebsocketListener} refused and accepted. */
export interface WebsocketListenerStats {
  accepted: number;
  refusedOrigin: number;
  /** Upgrades refused by `checkRequest`. */
  refusedRequest: number;
  refusedToken: number;
  refusedFirstMessage: number;
  refusedBusy: number;
  authTimeouts: number;
  /** Connections waiting for their auth message now. */
  pendingAuth: number;
}

/** A {@link Listener} of WebSocket links, with its refusal counts. */
export interface WebsocketListener extends Listener {
  stats(): WebsocketListenerStats;
  /** Connections refused for a missing or wrong token (counted by the engine's `stats().authFailures`). */
  readonly authFailures: number;
}

const PACKAGE = '@statemesh/transport-websocket';

/** Accepts WebSocket links: standalone on `host:port` (loopback by default) or at `path` of an existing server. */
export function websocketListener(options: WebsocketListenerOptions = {}): WebsocketListener {
  const path = options.path ?? '/statemesh';
  const host = options.host ?? '127.0.0.1';
  const secure = options.server !== undefined ? options.server instanceof HttpsServer : options.tls !== undefined;
  const expected = checkLinkToken(PACKAGE, 'token', options.token, { expected: true });
  const authTimeoutMs = options.authTimeoutMs ?? 5_000;
  const gate = new AdmissionGate({ expectedToken: expected, timeoutMs: authTimeoutMs, maxPending: options.maxPendingAuth });
  let refusedOrigin = 0;
  let refusedRequest = 0;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_AUTH_MESSAGE_BYTES, clientTracking: false });
  let server: HttpServer | HttpsServer | undefined;
  let port = options.port ?? 0;
  let accept: ((link: Link) => void) | undefined;
  let closed = false;

  // The close code and reason of each refusal before a link exists.
  const refusals: Record<Exclude<AdmissionRefusal, 'closing'>, readonly [number, string]> = {
    busy: [CLOSE_CODE.busy, `${PACKAGE}: too many connections waiting to authenticate; try again later`],
    token: [CLOSE_CODE.unauthorized, `${PACKAGE}: wrong or missing token; set the token this node expects`],
    malformed: [CLOSE_CODE.badFirstMessage, `${PACKAGE}: the first message is not a statemesh auth message`],
    timeout: [CLOSE_CODE.authTimeout, `${PACKAGE}: no auth message within ${authTimeoutMs} ms`],
  };
  const refuse = (ws: WebSocket, why: AdmissionRefusal, detail: string | undefined): void => {
    if (why === 'closing') return ws.terminate();
    const [code, reason] = refusals[why];
    ws.close(code, closeReason(detail ?? reason));
    realTimers.setTimeout(() => ws.terminate(), 1_000); // a client that never answers the close frame
  };
  const admit = (ws: WebSocket, request: IncomingMessage): void => {
    ws.on('error', () => undefined); // a broken socket closes; its link reports the close
    if (closed) return ws.terminate();
    let detail: string | undefined;
    const admission = gate.wait((why) => refuse(ws, why, detail));
    if (admission === undefined) return;
    ws.once('close', () => admission.abandon());
    ws.once('message', (data, isBinary) => {
      let token: string | undefined;
      try {
        token = decodeAuthMessage(isBinary || !Buffer.isBuffer(data) ? data : data.toString('utf8')).token;
      } catch (error) {
        detail = (error as Error).message;
        return admission.malformed();
      }
      if (!admission.present(token)) return;
      const remote = `${secure ? 'wss' : 'ws'}://${formatHostPort({ host: request.socket.remoteAddress ?? '?', port: request.socket.remotePort ?? 0 })}`;
      const link = new WebSocketLink(ws as unknown as WebSocketLike, {
        dialed: false,
        remoteAddress: remote,
        highWaterMarkBytes: options.highWaterMarkBytes,
        node: wsHooks(ws),
        authenticatedIds: verifiedNames(request.socket),
      });
      ws.send(READY_MESSAGE);
      accept!(link);
    });
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    if (new URL(request.url ?? '/', 'http://x').pathname !== path) {
      // Another upgrade handler of an attached server may own that path.
      if (options.server === undefined || options.server.listenerCount('upgrade') <= 1) reject(socket, 404, 'Not Found');
      return;
    }
    if (closed) return reject(socket, 503, 'Service Unavailable');
    if (options.checkRequest !== undefined && !options.checkRequest(request)) {
      refusedRequest++;
      return reject(socket, 403, 'Forbidden');
    }
    const origin = request.headers.origin;
    if (options.allowedOrigins !== undefined && origin !== undefined && !options.allowedOrigins.includes(origin)) {
      refusedOrigin++;
      return reject(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(request, socket, head, (ws) => admit(ws, request));
  };

  return {
    get address() {
      return `${secure ? 'wss' : 'ws'}://${formatHostPort({ host, port })}${path}`;
    },
    stats: () => {
      const gated = gate.stats();
      const { admitted: accepted, refusedToken, refusedMalformed: refusedFirstMessage, refusedBusy, timeouts: authTimeouts, pending: pendingAuth } = gated;
      return { accepted, refusedOrigin, refusedRequest, refusedToken, refusedFirstMessage, refusedBusy, authTimeouts, pendingAuth };
    },
    get authFailures() {
      return gate.stats().refusedToken;
    },
    async start(onLink: (link: Link) => void): Promise<void> {
      accept = onLink;
      const attached = options.server;
      const bound = attached?.address();
      const where = attached === undefined ? host : typeof bound === 'object' && bound !== null ? bound.address : undefined;
      const authenticated = expected !== undefined || options.tls?.requireClientAuth === true;
      assertListenSafe({ source: PACKAGE, address: where ?? 'a server not yet listening', host: where, tls: secure, authenticated, insecure: options.insecure === true });
      if (attached !== undefined) {
        server = attached;
        if (typeof bound === 'object' && bound !== null) port = bound.port;
        attached.on('upgrade', onUpgrade);
        return;
      }
      const tls = options.tls;
      const mutual = tls?.requireClientAuth === true;
      // A socket that never sends its upgrade request is dropped after authTimeoutMs too (Node's default: 60 s).
      const http = { headersTimeout: authTimeoutMs, requestTimeout: authTimeoutMs, connectionsCheckingInterval: Math.min(authTimeoutMs, 1_000) };
      const s = tls === undefined ? createHttpServer(http) : createHttpsServer({ ...http, ...serverPem(tls), requestCert: mutual, rejectUnauthorized: mutual });
      s.on('request', (_request, response) => response.writeHead(426, { 'content-type': 'text/plain' }).end('statemesh: WebSocket only\n'));
      s.on('upgrade', onUpgrade);
      s.on('clientError', (_error, socket) => socket.destroy());
      port = await bindListener(PACKAGE, formatHostPort({ host, port }), (done) => {
        s.once('error', done);
        s.listen({ host, port }, () => done(null, portOf(s)));
      });
      server = s;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      gate.close();
      const s = server;
      server = undefined;
      if (s === undefined) return;
      s.off('upgrade', onUpgrade);
      // Accepted links are their owner's to close; a standalone server stops accepting at once.
      if (s !== options.server) {
        s.close();
        s.closeAllConnections(); // connections that never upgraded (upgraded ones are no longer the server's)
      }
      await Promise.resolve();
    },
  };
}

function portOf(server: HttpServer | HttpsServer): number {
  const info = server.address();
  return typeof info === 'object' && info !== null ? info.port : 0;
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  realTimers.setTimeout(() => socket.destroy(), 1_000);
}

/** The certificate, key and CA of a standalone listener; throws `TLS_REQUIRED` without both a certificate and a key. */
function serverPem(tls: TlsOptions): Pick<SecureContextOptions, 'cert' | 'key' | 'ca'> {
  if (tls.cert === undefined || tls.key === undefined) {
    throw new StatemeshError('TLS_REQUIRED', `${PACKAGE}: a standalone wss listener needs tls.cert and tls.key, but ${tls.cert === undefined ? 'tls.cert' : 'tls.key'} is not given; pass the node's certificate and key (PEM), or attach to an https server with options.server`);
  }
  // Node's TLS reads PEM from any Uint8Array as it is; its types say Buffer.
  const { cert, key, ca } = tls as Pick<SecureContextOptions, 'cert' | 'key' | 'ca'>;
  return { cert, key, ca };
}

/** The names a verified client certificate proves (its CN, its DNS alternative names); undefined without one. */
function verifiedNames(socket: IncomingMessage['socket']): readonly string[] | undefined {
  return socket instanceof TLSSocket && socket.authorized ? certificateNames(socket.getPeerCertificate()) : undefined;
}
