import type { Writable } from 'node:stream';

/**
 * The outbound side of one gRPC stream, with back-pressure. grpc-js buffers every message it is given unless the
 * writer honours `write()`'s return value, so once it returns false we keep messages here until `drain`. Our
 * queue plus the messages handed to grpc-js and not yet written out is the peer's backlog: past
 * `highWaterMarkBytes` the write is refused and the caller drops the slow peer. Memory stays bounded.
 */
export class StreamWriter {
  readonly #stream: Writable;
  readonly #highWaterMarkBytes: number;
  readonly #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #inFlightBytes = 0;
  #blocked = false;
  #waiters: Array<() => void> = [];
  #closed = false;

  constructor(stream: Writable, highWaterMarkBytes: number) {
    this.#stream = stream;
    this.#highWaterMarkBytes = highWaterMarkBytes;
    stream.on('drain', () => this.#drain());
  }

  /** Bytes waiting: ours, and those grpc-js holds but has not written out. */
  get queuedBytes(): number {
    return this.#pendingBytes + this.#inFlightBytes;
  }

  /**
   * Queues one encoded `Envelope`. Returns false, queuing nothing, when it would take the backlog past the
   * high-water mark (a single message into an empty backlog always goes: the message limit bounds it).
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
    this.#push(bytes);
    return true;
  }

  /** Resolves once the backlog is at or below `bytes` (at once if it is), or the writer closed. */
  async below(bytes: number): Promise<void> {
    while (!this.#closed && this.queuedBytes > bytes) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Drops what is queued and wakes every waiter; later writes are ignored. */
  close(): void {
    this.#closed = true;
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#wake();
  }

  #push(bytes: Uint8Array): void {
    const size = bytes.byteLength;
    this.#inFlightBytes += size;
    const more = this.#stream.write(bytes, () => {
      this.#inFlightBytes -= size;
      if (this.#waiters.length > 0) this.#wake();
    });
    if (!more) this.#blocked = true;
  }

  #drain(): void {
    this.#blocked = false;
    while (this.#pending.length > 0 && !this.#blocked && !this.#closed) {
      const bytes = this.#pending.shift()!;
      this.#pendingBytes -= bytes.byteLength;
      this.#push(bytes);
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
