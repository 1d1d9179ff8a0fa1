import { connect, type NetConnectOpts } from 'node:net';
import { StatemeshError, type Dialer, type Link } from '@statemesh/contracts';
import { formatAddress, parseAddress } from './address.js';
import type { IpcLinkOptions } from './ipc-listener.js';
import { IpcLink } from './ipc-link.js';
import { linkTokenFrame } from './link-token.js';

/** The write buffer asked of our sockets. */
const SOCKET_BUFFER_BYTES = 1024 * 1024;

/** Opens IPC links to `address` (`/tmp/x.sock`, `unix:/tmp/x.sock`, `tcp://127.0.0.1:<port>`); the engine redials. */
export function ipcDialer(address: string, options: IpcLinkOptions = {}): Dialer {
  const parsed = parseAddress(address);
  const text = formatAddress(parsed);
  return {
    address: text,
    dial(signal?: AbortSignal): Promise<Link> {
      return new Promise<Link>((resolve, reject) => {
        if (signal?.aborted === true) {
          reject(new StatemeshError('CANCELLED', `@statemesh/transport-ipc: dialling ${text} was cancelled`));
          return;
        }
        // net.Socket passes writableHighWaterMark on to its stream, though the connect() typings do not list it.
        const connectOptions: NetConnectOpts & { writableHighWaterMark: number } =
          parsed.kind === 'unix'
            ? { path: parsed.path, writableHighWaterMark: SOCKET_BUFFER_BYTES }
            : { host: parsed.host, port: parsed.port, noDelay: true, writableHighWaterMark: SOCKET_BUFFER_BYTES };
        const socket = connect(connectOptions);
        const onAbort = (): void => {
          socket.destroy();
          reject(new StatemeshError('CANCELLED', `@statemesh/transport-ipc: dialling ${text} was cancelled`));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const failed = (error: NodeJS.ErrnoException): void => {
          signal?.removeEventListener('abort', onAbort);
          socket.destroy();
          reject(new StatemeshError('IO_ERROR', `@statemesh/transport-ipc: cannot connect to ${text} (${error.code ?? error.message}); is the node there running?`, { cause: error }));
        };
        socket.once('error', failed);
        socket.once('connect', () => {
          socket.removeListener('error', failed);
          signal?.removeEventListener('abort', onAbort);
          // On TCP the token goes first, before the link's Hello (PROTOCOL.md).
          if (parsed.kind === 'tcp' && options.token !== undefined) socket.write(linkTokenFrame(options.token));
          resolve(new IpcLink(socket, { dialed: true, remoteAddress: text, highWaterMarkBytes: options.highWaterMarkBytes }));
        });
      });
    },
  };
}
