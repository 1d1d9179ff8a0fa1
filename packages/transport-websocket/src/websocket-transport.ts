import { ProtocolTransport, type ProtocolTransportOptions } from '@statemesh/protocol';
import { websocketDialer, type NodeWebsocketDialerOptions } from './node-dialer.js';
import { websocketListener, type WebsocketListenerOptions } from './websocket-listener.js';

/** Options of {@link websocketTransport}: the engine's, with a WebSocket listener and seeds to dial. */
export interface WebsocketTransportOptions extends Omit<ProtocolTransportOptions, 'listeners' | 'dialers'> {
  /** Where to accept links (`{ port: 8080 }`, `{ server, path }`...); absent: dial only. */
  readonly listen?: WebsocketListenerOptions | undefined;
  /** URLs to dial (`ws://127.0.0.1:8080/statemesh`), and to redial with backoff whenever the link is lost. */
  readonly seeds?: readonly string[] | undefined;
  /** Options of the dialers: the token they send, TLS material, high-water mark. */
  readonly dial?: NodeWebsocketDialerOptions | undefined;
}

/** A {@link ProtocolTransport} over WebSocket links only: one listener (optional) and one dialer per seed. */
export function websocketTransport(options: WebsocketTransportOptions): ProtocolTransport {
  const { listen, seeds, dial, ...engine } = options;
  return new ProtocolTransport({
    ...engine,
    listeners: listen === undefined ? [] : [websocketListener(listen)],
    dialers: (seeds ?? []).map((seed) => websocketDialer(seed, dial)),
  });
}
