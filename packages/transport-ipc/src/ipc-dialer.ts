import { connect, type NetConnectOpts } from 'node:net';
import type { Dialer, Link } from '@statemesh/contracts';
import { checkLinkToken, dialAttempt } from '@statemesh/protocol';
import { formatAddress, parseAddress } from './address.js';
import { SOCKET_BUFFER_BYTES, type IpcLinkOptions } from './ipc-listener.js';
import { IpcLink } from './ipc-link.js';
import { linkTokenFrame } from './link-token.js';

const PACKAGE = '@statemesh/transport-ipc';

/** Opens IPC links to `address` (`/tmp/x.sock`, `unix:/tmp/x.sock`, `tcp://127.0.0.1:<port>`); the engine redials. */
export function ipcDialer(address: string, options: IpcLinkOptions = {}): Dialer {
  const parsed = parseAddress(address);
  const text = formatAddress(parsed);
  const token = checkLinkToken(PACKAGE, 'the link token', options.token, { expected: false });
  // net.Socket passes writableHighWaterMark on to its stream, though the connect() typings do not list it.
  const connectOptions: NetConnectOpts & { writableHighWaterMark: number } =
    parsed.kind === 'unix'
      ? { path: parsed.path, writableHighWaterMark: SOCKET_BUFFER_BYTES }
      : { host: parsed.host, port: parsed.port, noDelay: true, writableHighWaterMark: SOCKET_BUFFER_BYTES };
  return {
    address: text,
    dial(signal?: AbortSignal): Promise<Link> {
      return dialAttempt<Link>({ source: PACKAGE, address: text, signal }, (progress) => {
        const socket = connect(connectOptions);
        socket.once('error', progress.failed);
        socket.once('connect', () => {
          socket.removeListener('error', progress.failed);
          // On TCP the token goes first, before the link's Hello (PROTOCOL.md).
          if (parsed.kind === 'tcp' && token !== undefined) socket.write(linkTokenFrame(token));
          progress.connected(new IpcLink(socket, { dialed: true, remoteAddress: text, highWaterMarkBytes: options.highWaterMarkBytes }));
        });
        return () => socket.destroy();
      });
    },
  };
}
