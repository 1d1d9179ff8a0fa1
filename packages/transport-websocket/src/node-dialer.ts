import type { Dialer } from '@statemesh/contracts';
import { WebSocket } from 'ws';
import { MAX_AUTH_MESSAGE_BYTES } from './auth-message.js';
import { dialerOver, type WebsocketDialerOptions } from './websocket-dialer.js';
import type { WebSocketLike } from './websocket-like.js';
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
  /** TLS material, for `wss://` to a listener whose certificate a private CA signs, or that asks for client certificates. */
  readonly tls?: DialerTlsOptions | undefined;
}

/**
 * Opens WebSocket links to `url` (`ws://host:port/path` or `wss://...`) on `ws`, sending `options.token` in the
 * first message. Always `ws`, never a global `WebSocket` (Node 22+): `ws` says when a message has left, so
 * back-pressure needs no polling, and refuses an oversized message from its frame header, before buffering it.
 */
export function websocketDialer(url: string, options: NodeWebsocketDialerOptions = {}): Dialer {
  const { tls } = options;
  return dialerOver(url, options, (address) => {
    const buffer = (value: string | Uint8Array | undefined): string | Buffer | undefined => (value instanceof Uint8Array ? Buffer.from(value) : value);
    const ws = new WebSocket(address, {
      perMessageDeflate: false,
      maxPayload: MAX_AUTH_MESSAGE_BYTES,
      ca: buffer(tls?.ca),
      cert: buffer(tls?.cert),
      key: buffer(tls?.key),
    });
    ws.on('error', () => undefined); // reported through the 'error' event listeners of the dialer and the link
    return { socket: ws as unknown as WebSocketLike, node: wsHooks(ws) };
  });
}
