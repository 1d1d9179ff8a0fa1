// The browser entry: the client side only, over the standard WebSocket; no `node:` module and not `ws`.
import { StatemeshError, type Dialer } from '@statemesh/contracts';
import { ProtocolTransport, type ProtocolTransportOptions } from '@statemesh/protocol';
import { dialerOver, type WebsocketDialerOptions } from './websocket-dialer.js';
import type { WebSocketConstructor } from './websocket-like.js';

export { WebSocketLink, DEFAULT_LINK_HIGH_WATER_MARK_BYTES } from './websocket-link.js';
export type { WebSocketLinkOptions } from './websocket-link.js';
export type { NodeSocketHooks, WebSocketConstructor, WebSocketLike } from './websocket-like.js';
export type { WebsocketDialerOptions } from './websocket-dialer.js';
export { CLOSE_CODE } from './close-codes.js';
export { MAX_AUTH_MESSAGE_BYTES, READY_MESSAGE, decodeAuthMessage, encodeAuthMessage } from './auth-message.js';
export type { AuthMessage } from './auth-message.js';

/** Options of the browser `websocketDialer`. */
export interface BrowserWebsocketDialerOptions extends WebsocketDialerOptions {
  /** A standard WebSocket constructor to use instead of the global one (`ws`'s class in Node 20, which has none). */
  readonly WebSocket?: WebSocketConstructor | undefined;
}

/** Opens WebSocket links to `url` with the global `WebSocket` (or `options.WebSocket`), the token in the first message. */
export function websocketDialer(url: string, options: BrowserWebsocketDialerOptions = {}): Dialer {
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocket === undefined) {
    throw new StatemeshError('INVALID_CONFIG', '@statemesh/transport-websocket: this runtime has no global WebSocket; pass options.WebSocket');
  }
  return dialerOver(url, options, (address) => {
    const socket = new WebSocket(address);
    socket.binaryType = 'arraybuffer';
    return { socket };
  });
}

/** Options of the browser {@link websocketTransport}: the engine's, with the URLs to dial. */
export interface WebsocketTransportOptions extends Omit<ProtocolTransportOptions, 'listeners' | 'dialers'> {
  /** URLs to dial (`wss://host/statemesh`), redialled with backoff whenever the link is lost. */
  readonly seeds: readonly string[];
  /** Options of the dialers: the token they send, high-water mark. */
  readonly dial?: BrowserWebsocketDialerOptions | undefined;
}

/** A {@link ProtocolTransport} dialling WebSocket seeds. */
export function websocketTransport(options: WebsocketTransportOptions): ProtocolTransport {
  const { seeds, dial, ...engine } = options;
  return new ProtocolTransport({ ...engine, dialers: seeds.map((seed) => websocketDialer(seed, dial)) });
}
