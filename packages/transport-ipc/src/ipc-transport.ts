import { ProtocolTransport, type ProtocolTransportOptions } from '@statemesh/protocol';
import { ipcDialer } from './ipc-dialer.js';
import { ipcListener, type IpcLinkOptions } from './ipc-listener.js';

/** Options of {@link ipcTransport}: the engine's, with an IPC address to listen on and seeds to dial. */
export interface IpcTransportOptions extends Omit<ProtocolTransportOptions, 'listeners' | 'dialers'> {
  /** Where to accept links: `/tmp/x.sock`, `unix:/tmp/x.sock` or `tcp://127.0.0.1:<port>`. */
  readonly listen?: string | undefined;
  /** Addresses to dial, and to redial (with backoff) whenever the link is lost, until `close()`. */
  readonly seeds?: readonly string[] | undefined;
  /** Options of the links themselves. */
  readonly link?: IpcLinkOptions | undefined;
}

/** A {@link ProtocolTransport} over IPC links only: one listener (optional) and one dialer per seed. */
export function ipcTransport(options: IpcTransportOptions): ProtocolTransport {
  const { listen, seeds, link, ...engine } = options;
  // The engine sums each listener's `authFailures` (connections refused for their token never reach it).
  return new ProtocolTransport({
    ...engine,
    listeners: listen === undefined ? [] : [ipcListener(listen, link)],
    dialers: (seeds ?? []).map((seed) => ipcDialer(seed, link)),
  });
}
