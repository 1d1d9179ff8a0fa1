/**
 * The bytes a link has queued and not yet handed on, for a link whose medium says when each frame has left (a
 * gRPC write callback, an in-process delivery): `add` on every send, then `withinMark()` is what `send` returns;
 * `taken` as bytes leave calls `onDrain` once the backlog is back within the mark after `withinMark()` said no.
 */
export class SendBacklog {
  readonly highWaterMarkBytes: number;
  readonly #onDrain: () => void;
  #bytes = 0;
  #blocked = false;

  constructor(highWaterMarkBytes: number, onDrain: () => void) {
    this.highWaterMarkBytes = highWaterMarkBytes;
    this.#onDrain = onDrain;
  }

  /** Bytes queued and not yet taken. */
  get bytes(): number {
    return this.#bytes;
  }

  /** `bytes` were queued. */
  add(bytes: number): void {
    this.#bytes += bytes;
  }

  /** False once the backlog is past the high-water mark: `onDrain` then follows. */
  withinMark(): boolean {
    if (this.#bytes <= this.highWaterMarkBytes) return true;
    this.#blocked = true;
    return false;
  }

  /** `bytes` left (written, delivered or lost). */
  taken(bytes: number): void {
    this.#bytes -= bytes;
    if (!this.#blocked || this.#bytes > this.highWaterMarkBytes) return;
    this.#blocked = false;
    this.#onDrain();
  }
}
