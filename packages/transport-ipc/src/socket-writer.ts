import type { Socket } from 'node:net';

/** Frames smaller than this are corked until the end of the tick and written together. */
const CORK_BELOW_BYTES = 4096;

/** The write buffer size asked of our sockets: `write()` returns false past it and we queue the rest ourselves. */
export const SOCKET_BUFFER_BYTES = 1024 * 1024;

/**
 * The outbound side of one connection, with back-pressure. Small frames written in one tick are corked together (one
 * `writev`); once `socket.write()` returns false we stop writing into the socket and keep frames here until
 * `drain`. Our queue plus the socket's own buffer is the peer's backlog: past `highWaterMarkBytes` the write is
 * refused and the caller drops the slow peer, which catches up after it reconnects. Memory stays bounded.
 */
export class SocketWriter {
  readonly #socket: Socket;
  readonly #highWaterMarkBytes: number;
  readonly #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #blocked = false;
  #corked = false;
  #waiters: Array<() => void> = [];
  #closed = false;

  constructor(socket: Socket, highWaterMarkBytes: number) {
    this.#socket = socket;
    this.#highWaterMarkBytes = highWaterMarkBytes;
    socket.on('drain', () => this.#drain());
  }

  /** Bytes waiting: ours and the socket's. */
  get queuedBytes(): number {
    return this.#pendingBytes + this.#socket.writableLength;
  }

  /**
   * Queues a frame. Returns false, writing nothing, when it would take the backlog past the high-water mark (a
   * single frame into an empty backlog always goes, however large: the frame limit bounds it).
   */
  write(bytes: Uint8Array): boolean {
    if (this.#closed) return true;
    const queued = this.queuedBytes;
    if (queued > 0 && queued + bytes.byteLength > this.#highWaterMarkBytes) return false;
    if (this.#blocked) {
      this.#pending.push(bytes);
      this.#pendingBytes += bytes.byteLength;
      return true;
    }
    // Small frames written in one tick go out together (one writev); large ones at once, so that the kernel
    // starts moving them while the producer prepares the next (the two processes then work in parallel).
    if (bytes.byteLength < CORK_BELOW_BYTES) this.#cork();
    if (!this.#socket.write(bytes)) this.#blocked = true;
    return true;
  }

  /** Resolves once the backlog is at or below `bytes` (at once if it is), or the writer closed. */
  async below(bytes: number): Promise<void> {
    while (!this.#closed && this.queuedBytes > bytes) {
      // 'drain' only follows a write() that returned false; below the socket's own mark, poll briefly instead.
      if (this.#blocked) await new Promise<void>((resolve) => this.#waiters.push(resolve));
      else await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Drops what is queued and wakes every waiter; later writes are ignored. */
  close(): void {
    this.#closed = true;
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#wake();
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.#socket.uncork();
    });
  }

  #drain(): void {
    this.#blocked = false;
    if (this.#pending.length > 0) {
      this.#cork();
      while (this.#pending.length > 0) {
        const bytes = this.#pending.shift()!;
        this.#pendingBytes -= bytes.byteLength;
        if (!this.#socket.write(bytes)) {
          this.#blocked = true;
          break;
        }
      }
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
