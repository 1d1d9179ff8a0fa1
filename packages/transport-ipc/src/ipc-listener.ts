import { chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { StatemeshError, type Link, type Listener } from '@statemesh/contracts';
import { formatAddress, parseAddress, type IpcAddress } from './address.js';
import { IpcLink } from './ipc-link.js';
import { MAX_LINK_TOKEN_BYTES, readLinkToken } from './link-token.js';
import { clearStaleSocket, removeOwnSocket, socketInode } from './socket-file.js';

/** Options of {@link ipcListener} and {@link ipcDialer}. */
export interface IpcLinkOptions {
  /** Bytes queued on a socket past which `send` returns false (default 1 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
  /**
   * On TCP: a listener refuses connections that do not present this token first (counted in `authFailures`); a
   * dialer presents it. Unix sockets ignore it: their file is owner-only.
   */
  readonly token?: string | undefined;
  /** Time a TCP connection has to present the token (default 10 000 ms). */
  readonly tokenTimeoutMs?: number | undefined;
  /**
   * A TCP listener without a `token` takes links from any user of the machine: it refuses to start
   * (`INVALID_CONFIG`) unless this is set (DESIGN section 7). Unix sockets ignore it.
   */
  readonly insecure?: boolean | undefined;
}

/** A {@link Listener} on a Unix socket or loopback TCP, with the real port once started. */
export interface IpcListener extends Listener {
  /** The parsed address (with the real port once started). */
  readonly ipcAddress: IpcAddress;
  /** TCP connections refused for a missing or wrong token. */
  readonly authFailures: number;
}

/** The write buffer asked of our sockets. */
const SOCKET_BUFFER_BYTES = 1024 * 1024;

/**
 * Accepts IPC links at `address`: `/tmp/x.sock`, `unix:/tmp/x.sock` or `tcp://127.0.0.1:<port>` (port 0: any free
 * port; a token required, or `insecure`). A stale socket file left by a crashed process is removed first (a live one, or a file that is not a
 * socket, is refused with `INVALID_CONFIG`); the socket file is made owner-only (0600) and removed at close.
 */
export function ipcListener(address: string, options: IpcLinkOptions = {}): IpcListener {
  const parsed = parseAddress(address, { allowPortZero: true });
  const token = options.token;
  if (token !== undefined && (typeof token !== 'string' || token.length < 8 || Buffer.byteLength(token) > MAX_LINK_TOKEN_BYTES)) {
    throw new StatemeshError('INVALID_CONFIG', `@statemesh/transport-ipc: the link token must be a string of 8 to ${MAX_LINK_TOKEN_BYTES} bytes; choose a longer random one`);
  }
  if (parsed.kind === 'tcp' && token === undefined && options.insecure !== true) {
    throw new StatemeshError(
      'INVALID_CONFIG',
      `@statemesh/transport-ipc: refusing to listen on ${formatAddress(parsed)} without a token: any user of this machine could link to it and write as any node; give the listener a token (link option token, session auth.expectedToken, and the same to its peers), listen on a Unix socket (owner-only), or pass insecure: true`,
      { details: { address: formatAddress(parsed) } },
    );
  }
  let authFailures = 0;
  let bound: IpcAddress = parsed;
  let server: Server | undefined;
  let inode: number | undefined;
  let closed = false;
  return {
    get address() {
      return formatAddress(bound);
    },
    get ipcAddress() {
      return bound;
    },
    get authFailures() {
      return authFailures;
    },
    async start(accept: (link: Link) => void): Promise<void> {
      if (parsed.kind === 'unix') await clearStaleSocket(parsed.path);
      const s = createServer({ noDelay: true, highWaterMark: SOCKET_BUFFER_BYTES }, (socket) => {
        if (closed) {
          socket.destroy();
          return;
        }
        const remote = parsed.kind === 'unix' ? formatAddress(parsed) : `tcp://${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
        const link = (): IpcLink => new IpcLink(socket, { dialed: false, remoteAddress: remote, highWaterMarkBytes: options.highWaterMarkBytes });
        if (parsed.kind === 'unix' || token === undefined) {
          accept(link());
          return;
        }
        socket.on('error', () => undefined); // a refused connection's errors are nobody's concern
        void readLinkToken(socket, token, options.tokenTimeoutMs ?? 10_000).then((ok) => {
          if (!ok || closed) {
            if (!ok) authFailures++;
            socket.destroy();
            return;
          }
          accept(link());
          socket.resume();
        });
      });
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', (error: NodeJS.ErrnoException) => {
          server = undefined;
          reject(
            new StatemeshError('IO_ERROR', `@statemesh/transport-ipc: cannot listen on ${formatAddress(parsed)} (${error.code ?? error.message}); choose another address`, {
              cause: error,
              details: { address: formatAddress(parsed) },
            }),
          );
        });
        if (parsed.kind === 'unix') s.listen({ path: parsed.path, backlog: 64 }, resolve);
        else s.listen({ host: parsed.host, port: parsed.port, backlog: 64 }, resolve);
      });
      s.on('error', () => undefined); // after listening, errors concern single connections, which report their own
      if (parsed.kind === 'unix') {
        await chmod(parsed.path, 0o600);
        inode = await socketInode(parsed.path);
      } else {
        const info = s.address();
        bound = { kind: 'tcp', host: parsed.host, port: typeof info === 'object' && info !== null ? info.port : parsed.port };
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const s = server;
      server = undefined;
      // Stops accepting at once; accepted links are their owner's to close.
      s?.close();
      if (parsed.kind === 'unix' && s !== undefined) await removeOwnSocket(parsed.path, inode);
    },
  };
}
