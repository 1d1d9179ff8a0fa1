// `statemesh node --web host:port`: one HTTP server that serves the viewer (@statemesh/viewer) at `/` and takes
// browsers' WebSocket links at `/statemesh` (the token in the first message). It listens before the node joins,
// so that its WebSocket listener can be one of the node's listeners from the start.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { StatemeshError, type TlsOptions } from '@statemesh/session';
import { websocketListener, type WebsocketListener } from '@statemesh/transport-websocket';
import { serveViewer } from '@statemesh/viewer';
import { HostCheck } from './host-check.js';

const PREFIX = '@statemesh/cli: ';

/** Options of {@link startWebEndpoint}. */
export interface WebEndpointOptions {
  readonly host: string;
  readonly port: number;
  /** The token browsers must send first. */
  readonly token: string;
  /** Allow a non-loopback address in plain HTTP (DESIGN section 7). */
  readonly insecure: boolean;
  readonly clusterId: string;
  /** The volume the viewer shows; absent: the first one in the tree. */
  readonly volume?: string | undefined;
  readonly scene?: string | undefined;
  /** Host names answered besides addresses and localhost. */
  readonly allowedHosts?: readonly string[] | undefined;
  /** The node's certificate and key (PEM): the viewer is then served over HTTPS and its links are `wss`. */
  readonly tls?: Required<Pick<TlsOptions, 'cert' | 'key'>> | undefined;
}

/** The running endpoint: its WebSocket listener (for `join()`), the viewer's URL with its token, and `close()`. */
export interface WebEndpoint {
  readonly listener: WebsocketListener;
  /** `http://host:port` (`https://` with TLS) */
  readonly origin: string;
  /** `<origin>/#token=...`: the fragment stays in the browser. */
  readonly viewerUrl: string;
  /** Stops the HTTP server (the listener is closed by the session that owns it). */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` and serves the viewer (over HTTPS with `tls`); throws `IO_ERROR` when the address is
 * taken. Off loopback without TLS and without `insecure`, the node's join fails with `TLS_REQUIRED`.
 */
export async function startWebEndpoint(options: WebEndpointOptions): Promise<WebEndpoint> {
  const handler = await serveViewer({ clusterId: options.clusterId, volume: options.volume, scene: options.scene });
  const hosts = new HostCheck(options.allowedHosts);
  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    if (!hosts.allows(request.headers.host)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end(`${PREFIX}this node does not answer to host ${request.headers.host ?? ''}; add it with --allow-host\n`);
      return;
    }
    if (!handler(request, response)) response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  const tls = options.tls;
  // Node's TLS reads PEM from any Uint8Array as it is; its types say Buffer.
  const server: Server | HttpsServer = tls === undefined ? createServer(answer) : createHttpsServer(tls as Pick<SecureContextOptions, 'cert' | 'key'>, answer);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new StatemeshError('IO_ERROR', `${PREFIX}cannot listen on ${options.host}:${options.port} for --web: ${error.message}`, { cause: error })));
    server.listen(options.port, options.host, () => resolve());
  });
  let listener: WebsocketListener;
  try {
    // An upgrade with a foreign Host, or from a page of another origin (cross-site WebSocket hijacking), gets 403.
    const checkRequest = (request: IncomingMessage): boolean => hosts.allows(request.headers.host) && sameOrigin(request);
    listener = websocketListener({ server, token: options.token, insecure: options.insecure, checkRequest });
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  const address = server.address() as AddressInfo;
  const origin = `${tls === undefined ? 'http' : 'https'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    listener,
    origin,
    viewerUrl: `${origin}/#token=${encodeURIComponent(options.token)}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether a browser's upgrade comes from a page this server served (`Origin` names the `Host`); clients without `Origin` are not browsers. */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
