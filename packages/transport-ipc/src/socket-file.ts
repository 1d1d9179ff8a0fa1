import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { StatemeshError } from '@statemesh/contracts';

/** What {@link clearStaleSocket} found at a socket path. */
export type SocketFileState = 'absent' | 'removed-stale';

/**
 * Makes `path` free for `listen()`: nothing there is fine; a socket file nobody listens on (left by a crashed
 * process) is removed; a socket somebody listens on, or a file that is not a socket, is refused with
 * `INVALID_CONFIG` — we never steal a live node's address or delete a user's file.
 */
export async function clearStaleSocket(path: string, probeTimeoutMs = 1000): Promise<SocketFileState> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw ioError(path, 'cannot inspect it', error);
  }
  if (!stats.isSocket()) {
    throw new StatemeshError(
      'INVALID_CONFIG',
      `@statemesh/transport-ipc: ${path} exists and is not a socket; refusing to remove it — choose another listen path`,
      { details: { path } },
    );
  }
  const live = await isListening(path, probeTimeoutMs);
  if (live) {
    throw new StatemeshError(
      'INVALID_CONFIG',
      `@statemesh/transport-ipc: another process is listening on ${path}; stop it or choose another listen path`,
      { details: { path } },
    );
  }
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(path, 'cannot remove the stale socket file', error);
  }
  return 'removed-stale';
}

/** Removes our socket file at close, unless another process has since put its own there (different inode). */
export async function removeOwnSocket(path: string, inode: number | undefined): Promise<void> {
  try {
    const stats = await lstat(path);
    if (!stats.isSocket() || (inode !== undefined && stats.ino !== inode)) return;
    await unlink(path);
  } catch {
    // Already gone (libuv unlinks a listening pipe when it closes): nothing to do.
  }
}

/** The inode of the socket file at `path`, to recognise it as ours at close. */
export async function socketInode(path: string): Promise<number | undefined> {
  try {
    return (await lstat(path)).ino;
  } catch {
    return undefined;
  }
}

function isListening(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const timer = setTimeout(() => finish(true), timeoutMs); // accepted slowly: someone is there
    timer.unref();
    function finish(live: boolean, error?: StatemeshError): void {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      if (error === undefined) resolve(live);
      else reject(error);
    }
    socket.once('connect', () => finish(true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') finish(false);
      else finish(false, ioError(path, `cannot probe it (${error.code ?? error.message})`, error));
    });
  });
}

function ioError(path: string, what: string, cause: unknown): StatemeshError {
  return new StatemeshError('IO_ERROR', `@statemesh/transport-ipc: socket path ${path}: ${what}; check its directory and permissions`, {
    cause,
    details: { path },
  });
}
