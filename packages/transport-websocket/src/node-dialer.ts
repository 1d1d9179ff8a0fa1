import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { Dialer, TlsOptions } from '@statemesh/contracts';
import { WebSocket, type ClientOptions } from 'ws';
import { MAX_AUTH_MESSAGE_BYTES } from './auth-message.js';
import { dialerOver, type WebsocketDialerOptions } from './websocket-dialer.js';
import type { WebSocketLike } from './websocket-like.js';
import { wsHooks } from './ws-hooks.js';

/** Options of the Node `websocketDialer`. */
export interface NodeWebsocketDialerOptions extends WebsocketDialerOptions {
  /**
   * TLS material for `wss://`: `ca`, `cert` and `key` (a listener that asks for client certificates), `serverName`
   * (checked against the listener's certificate instead of the URL's host); `requireClientAuth` is a listener's.
   */
  readonly tls?: TlsOptions | undefined;
}

/**
 * Opens WebSocket links to `url` (`ws://host:port/path` or `wss://...`) on `ws`, sending `options.token` in the
 * first message. Always `ws`, never a global `WebSocket` (Node 22+): `ws` says when a message has left, so
 * back-pressure needs no polling, and refuses an oversized message from its frame header, before buffering it.
 */
export function websocketDialer(url: string, options: NodeWebsocketDialerOptions = {}): Dialer {
  const { tls } = options;
  // Node's TLS reads PEM from any Uint8Array as it is; its types say Buffer.
  const pem = (tls ?? {}) as Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>;
  return dialerOver(url, options, (address) => {
    // ws hands its options to tls.connect, servername included (its types leave that one out).
    const wsOptions: ClientOptions & Pick<ConnectionOptions, 'servername'> = {
      perMessageDeflate: false,
      maxPayload: MAX_AUTH_MESSAGE_BYTES,
      ca: pem.ca,
      cert: pem.cert,
      key: pem.key,
      servername: tls?.serverName,
    };
    const ws = new WebSocket(address, wsOptions);
    ws.on('error', () => undefined); // reported through the 'error' event listeners of the dialer and the link
    return { socket: ws as unknown as WebSocketLike, node: wsHooks(ws) };
  });
}
