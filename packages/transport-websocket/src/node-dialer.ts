import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import { StatemeshError, type Dialer, type TlsOptions } from '@statemesh/contracts';
import type { ClientOptions } from 'ws';
import { MAX_AUTH_MESSAGE_BYTES } from './auth-message.js';
import { dialerOver, standardSocket, type OpenedSocket, type WebsocketDialerOptions } from './websocket-dialer.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';
import { wsHooks } from './ws-hooks.js';

/** Options of the Node `websocketDialer`. */
export interface NodeWebsocketDialerOptions extends WebsocketDialerOptions {
  /**
   * TLS material for `wss://`: `ca`, `cert` and `key` (a listener that asks for client certificates), `serverName`
   * (checked against the listener's certificate instead of the URL's host); `requireClientAuth` is a listener's. When
   * given, `ws` is used even where a global WebSocket exists (it cannot take a CA).
   */
  readonly tls?: TlsOptions | undefined;
}

/**
 * Opens WebSocket links to `url` (`ws://host:port/path` or `wss://...`), sending `options.token` in the first
 * message. Uses `options.WebSocket`, else the global `WebSocket` (Node 22+) unless TLS material is given, else `ws`,
 * loaded on the first dial.
 */
export function websocketDialer(url: string, options: NodeWebsocketDialerOptions = {}): Dialer {
  const standard = options.WebSocket ?? (options.tls === undefined ? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket : undefined);
  return dialerOver(url, options, standard === undefined ? (address) => openWs(address, options.tls) : standardSocket(standard));
}

async function openWs(url: string, tls: TlsOptions | undefined): Promise<OpenedSocket> {
  let WebSocket: typeof import('ws').WebSocket;
  try {
    ({ WebSocket } = await import('ws'));
  } catch (error) {
    throw new StatemeshError('INVALID_CONFIG', '@statemesh/transport-websocket: cannot load ws, the WebSocket client of Node 20; install it (npm install ws) or pass options.WebSocket', { cause: error });
  }
  // Node's TLS reads PEM from any Uint8Array as it is; its types say Buffer.
  const pem = (tls ?? {}) as Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>;
  // ws hands its options to tls.connect, servername included (its types leave that one out).
  const options: ClientOptions & Pick<ConnectionOptions, 'servername'> = {
    perMessageDeflate: false,
    maxPayload: MAX_AUTH_MESSAGE_BYTES,
    ca: pem.ca,
    cert: pem.cert,
    key: pem.key,
    servername: tls?.serverName,
  };
  const ws = new WebSocket(url, options);
  ws.on('error', () => undefined); // reported through the 'error' event listeners of the dialer and the link
  return { socket: ws as unknown as WebSocketLike, node: wsHooks(ws) };
}
