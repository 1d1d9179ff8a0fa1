// Size: this package is ~370 code lines, above the ~300 of a link factory, for the Unix socket file's
// safety (socket-file.ts: a stale socket of a crashed process removed, a live one or a non-socket refused, the
// file made 0600 and removed at close) and the token frame of TCP links (link-token.ts). No protocol logic is
// here; host:port, the token rule and its admission gate, dialling and binding are @statemesh/protocol's.
import type { Socket } from 'node:net';
import type { Link, LinkEvents, LinkFrame } from '@statemesh/contracts';
import { LinkLifecycle, MAX_HELLO_BYTES } from '@statemesh/protocol';
import { IpcFrameReader, encodeIpcHeader } from '@statemesh/wire';

/** Default bytes queued on a socket past which `send` returns false (the socket's own buffer). */
export const DEFAULT_LINK_HIGH_WATER_MARK_BYTES = 1024 * 1024;
/** Bodies smaller than this are corked until the end of the tick and written together (one writev). */
const CORK_BELOW_BYTES = 4096;

/**
 * One Unix-socket or TCP connection as a {@link Link}: the 12-byte IPC header on every frame, a reader that
 * refuses a frame longer than `maxFrameBytes` from its header alone (before buffering its body), back-pressure
 * from the socket's write buffer, and small frames of one tick corked into one write. Its close is the
 * protocol's {@link LinkLifecycle}: `end` is a FIN, a cut is `socket.destroy()`.
 */
export class IpcLink implements Link {
  readonly remoteAddress: string;
  readonly dialed: boolean;
  readonly #socket: Socket;
  readonly #reader = new IpcFrameReader({ maxFrameBytes: MAX_HELLO_BYTES });
  readonly #highWaterMarkBytes: number;
  readonly #life: LinkLifecycle;
  #corked = false;

  constructor(socket: Socket, options: { dialed: boolean; remoteAddress: string; highWaterMarkBytes?: number | undefined }) {
    this.#socket = socket;
    this.dialed = options.dialed;
    this.remoteAddress = options.remoteAddress;
    this.#highWaterMarkBytes = options.highWaterMarkBytes ?? DEFAULT_LINK_HIGH_WATER_MARK_BYTES;
    this.#life = new LinkLifecycle({ close: () => socket.end(), cut: () => socket.destroy() });
    if (socket.remoteFamily !== undefined) socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#life.receive(() => this.#reader.push(chunk)));
    socket.on('drain', () => this.#life.drain());
    socket.on('error', (error: NodeJS.ErrnoException) => this.#life.note(`socket error ${error.code ?? error.message}`));
    socket.on('end', () => {
      // The other side half-closed: finish ours too, after what is queued has gone.
      this.#life.note('the peer closed the connection');
      socket.end();
    });
    socket.on('close', () => this.#life.finish('the connection closed'));
  }

  get maxFrameBytes(): number {
    return this.#reader.maxFrameBytes;
  }

  set maxFrameBytes(bytes: number) {
    this.#reader.maxFrameBytes = bytes;
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  open(events: LinkEvents): void {
    this.#life.open(events);
  }

  send(frame: LinkFrame): boolean {
    const socket = this.#socket;
    if (this.#life.isClosing || socket.destroyed || socket.writableEnded) return false;
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    socket.write(encodeIpcHeader(frame.kind, frame.version, frame.body.byteLength));
    socket.write(frame.body);
    // Large frames go at once, so that the kernel moves them while the producer prepares the next.
    if (frame.body.byteLength >= CORK_BELOW_BYTES) {
      socket.uncork();
      socket.cork();
    }
    return socket.writableLength < this.#highWaterMarkBytes;
  }

  end(reason: string, graceMs?: number): void {
    this.#life.end(reason, graceMs);
  }

  destroy(reason: string): void {
    this.#life.destroy(reason);
  }
}
