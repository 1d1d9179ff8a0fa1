// The browser entry: the client side only, over the standard WebSocket; no `node:` module and not `ws`.
import { StatemeshError, type Dialer } from '@statemesh/contracts';
import { ProtocolTransport, type ProtocolTransportOptions } from '@statemesh/protocol';
import { dialerOver, standardSocket, type WebsocketDialerOptions } from './websocket-dialer.js';
import { browserTimers } from './browser-timers.js';
import type { WebSocketConstructor } from './websocket-like.js';

export { WebSocketLink, DEFAULT_LINK_HIGH_WATER_MARK_BYTES } from './websocket-link.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';
export type { WebsocketDialerOptions } from './websocket-dialer.js';
export { CLOSE_CODE } from './close-codes.js';
export { MAX_AUTH_MESSAGE_BYTES, READY_MESSAGE, decodeAuthMessage, encodeAuthMessage } from './auth-message.js';
export type { AuthMessage } from './auth-message.js';
export { browserTimers } from './browser-timers.js';

/** Opens WebSocket links to `url` with the global `WebSocket` (or `options.WebSocket`), the token in the first message. */
export function websocketDialer(url: string, options: WebsocketDialerOptions = {}): Dialer {
  const constructor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (constructor === undefined) {
    throw new StatemeshError('INVALID_CONFIG', '@statemesh/transport-websocket: this runtime has no global WebSocket; pass options.WebSocket');
  }
  return dialerOver(url, options, standardSocket(constructor));
}

/** Options of the browser {@link websocketTransport}: the engine's, with the URLs to dial. */
export interface WebsocketTransportOptions extends Omit<ProtocolTransportOptions, 'listeners' | 'dialers'> {
  /** URLs to dial (`wss://host/statemesh`), redialled with backoff whenever the link is lost. */
  readonly seeds: readonly string[];
  /** Options of the dialers: the token they send, high-water mark. */
  readonly dial?: WebsocketDialerOptions | undefined;
}

/** A {@link ProtocolTransport} dialling WebSocket seeds, on browser timers unless others are given. */
export function websocketTransport(options: WebsocketTransportOptions): ProtocolTransport {
  const { seeds, dial, ...engine } = options;
  return new ProtocolTransport({ timers: browserTimers, ...engine, dialers: seeds.map((seed) => websocketDialer(seed, dial)) });
}
