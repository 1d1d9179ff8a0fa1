import { StatemeshError, type Dialer } from '@statemesh/contracts';
import { MAX_AUTH_MESSAGE_BYTES } from './auth-message.js';
import { dialerOver, standardSocket, type OpenedSocket, type WebsocketDialerOptions } from './websocket-dialer.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';
import { wsHooks } from './ws-hooks.js';

/** TLS material of a Node dialler, PEM-encoded (for `wss://` to a node whose certificate a private CA signs). */
export interface DialerTlsOptions {
  /** CA certificates that sign the listener's certificate (default: the system's). */
  readonly ca?: string | Uint8Array | undefined;
  /** This node's certificate chain, for a listener that asks for client certificates. */
  readonly cert?: string | Uint8Array | undefined;
  /** This node's private key. */
  readonly key?: string | Uint8Array | undefined;
}

/** Options of the Node `websocketDialer`. */
export interface NodeWebsocketDialerOptions extends WebsocketDialerOptions {
  /** TLS material; when given, `ws` is used even where a global WebSocket exists (it cannot take a CA). */
  readonly tls?: DialerTlsOptions | undefined;
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

async function openWs(url: string, tls: DialerTlsOptions | undefined): Promise<OpenedSocket> {
  let WebSocket: typeof import('ws').WebSocket;
  try {
    ({ WebSocket } = await import('ws'));
  } catch (error) {
    throw new StatemeshError('INVALID_CONFIG', '@statemesh/transport-websocket: cannot load ws, the WebSocket client of Node 20; install it (npm install ws) or pass options.WebSocket', { cause: error });
  }
  const buffer = (value: string | Uint8Array | undefined): string | Buffer | undefined => (value instanceof Uint8Array ? Buffer.from(value) : value);
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: MAX_AUTH_MESSAGE_BYTES,
    ca: buffer(tls?.ca),
    cert: buffer(tls?.cert),
    key: buffer(tls?.key),
  });
  ws.on('error', () => undefined); // reported through the 'error' event listeners of the dialer and the link
  return { socket: ws as unknown as WebSocketLike, node: wsHooks(ws) };
}
