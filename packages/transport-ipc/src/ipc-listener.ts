import { chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { StatemeshError, type Link, type Listener } from '@statemesh/contracts';
import { AdmissionGate, bindListener, checkLinkToken } from '@statemesh/protocol';
import { formatAddress, parseAddress, type IpcAddress } from './address.js';
import { IpcLink } from './ipc-link.js';
import { readLinkToken } from './link-token.js';
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
  /** TCP connections refused for a missing or wrong token, or none in time (or too many waiting at once). */
  readonly authFailures: number;
}

/** The write buffer asked of our sockets. */
export const SOCKET_BUFFER_BYTES = 1024 * 1024;
const PACKAGE = '@statemesh/transport-ipc';

/**
 * Accepts IPC links at `address`: `/tmp/x.sock`, `unix:/tmp/x.sock` or `tcp://127.0.0.1:<port>` (port 0: any free
 * port; a token required, or `insecure`). A stale socket file left by a crashed process is removed first (a live one, or a file that is not a
 * socket, is refused with `INVALID_CONFIG`); the socket file is made owner-only (0600) and removed at close.
 */
export function ipcListener(address: string, options: IpcLinkOptions = {}): IpcListener {
  const parsed = parseAddress(address, { allowPortZero: true });
  const token = checkLinkToken(PACKAGE, 'the link token', options.token, { expected: true });
  if (parsed.kind === 'tcp' && token === undefined && options.insecure !== true) {
    throw new StatemeshError(
      'INVALID_CONFIG',
      `${PACKAGE}: refusing to listen on ${formatAddress(parsed)} without a token: any user of this machine could link to it and write as any node; give the listener a token (link option token, session auth.expectedToken, and the same to its peers), listen on a Unix socket (owner-only), or pass insecure: true`,
      { details: { address: formatAddress(parsed) } },
    );
  }
  const gate = new AdmissionGate({ expectedToken: token, timeoutMs: options.tokenTimeoutMs });
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
      const refused = gate.stats();
      return refused.refusedToken + refused.refusedMalformed + refused.refusedBusy + refused.timeouts;
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
        let stop = (): void => undefined;
        const admission = gate.wait(() => {
          stop();
          socket.destroy();
        });
        if (admission === undefined) return;
        stop = readLinkToken(socket, (given) => {
          if (given === undefined) return admission.malformed();
          if (!admission.present(given)) return;
          accept(link());
          socket.resume();
        });
        socket.once('close', () => admission.abandon());
      });
      server = s;
      const at = formatAddress(parsed);
      const port = await bindListener(PACKAGE, at, (done) => {
        s.once('error', done);
        const bound = (): void => done(null, portOf(s));
        if (parsed.kind === 'unix') s.listen({ path: parsed.path, backlog: 64 }, bound);
        else s.listen({ host: parsed.host, port: parsed.port, backlog: 64 }, bound);
      }).catch((error: unknown) => {
        server = undefined;
        throw error;
      });
      s.on('error', () => undefined); // after listening, errors concern single connections, which report their own
      if (parsed.kind === 'unix') {
        await chmod(parsed.path, 0o600);
        inode = await socketInode(parsed.path);
      } else bound = { kind: 'tcp', host: parsed.host, port };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      gate.close();
      const s = server;
      server = undefined;
      // Stops accepting at once; accepted links are their owner's to close.
      s?.close();
      if (parsed.kind === 'unix' && s !== undefined) await removeOwnSocket(parsed.path, inode);
    },
  };
}

function portOf(server: Server): number {
  const info = server.address();
  return typeof info === 'object' && info !== null ? info.port : 0;
}
