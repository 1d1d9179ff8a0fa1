import type { Writable } from 'node:stream';

/** Largest message that queued mutation batches are merged into while the stream is blocked. */
const MERGE_LIMIT_BYTES = 1024 * 1024;
/** Field 2 (`mutations`), wire type 2, of `Envelope`: the first byte of every encoded mutations envelope. */
const MUTATIONS_TAG = 0x12;

/** Queued mutation batches waiting to go out as one `Envelope`: their `MutationBatch` bodies. */
interface MergedBatches {
  readonly bodies: Uint8Array[];
  bodyBytes: number;
  /** The sizes of the envelopes merged, as counted in the backlog. */
  queuedBytes: number;
}

/**
 * The outbound side of one gRPC stream, with back-pressure. grpc-js buffers every message it is given unless the
 * writer honours `write()`'s return value, so once it returns false we keep messages here until `drain`. Our
 * queue plus the messages handed to grpc-js and not yet written out is the peer's backlog: past
 * `highWaterMarkBytes` the write is refused and the caller drops the slow peer. Memory stays bounded.
 *
 * While blocked, consecutive mutation batches are merged into one message (up to 1 MiB and the message limit):
 * concatenated `MutationBatch` bodies are one valid `MutationBatch` whose mutations follow in order. An idle
 * stream sends each batch at once; a busy one fills messages, and gRPC's per-message cost is paid less often.
 */
export class StreamWriter {
  readonly #stream: Writable;
  readonly #highWaterMarkBytes: number;
  readonly #mergeLimitBytes: number;
  readonly #pending: Array<Uint8Array | MergedBatches> = [];
  #pendingBytes = 0;
  #inFlightBytes = 0;
  #blocked = false;
  #waiters: Array<() => void> = [];
  #closed = false;

  constructor(stream: Writable, options: { highWaterMarkBytes: number; maxMessageBytes: number }) {
    this.#stream = stream;
    this.#highWaterMarkBytes = options.highWaterMarkBytes;
    this.#mergeLimitBytes = Math.min(MERGE_LIMIT_BYTES, options.maxMessageBytes);
    stream.on('drain', () => this.#drain());
  }

  /** Bytes waiting: ours, and those grpc-js holds but has not written out. */
  get queuedBytes(): number {
    return this.#pendingBytes + this.#inFlightBytes;
  }

  /**
   * Queues one encoded `Envelope` (`mutations`: an uncompressed mutations envelope, which may be merged with its
   * neighbours). Returns false, queuing nothing, when it would take the backlog past the high-water mark (a
   * single message into an empty backlog always goes: the message limit bounds it).
   */
  write(bytes: Uint8Array, mutations = false): boolean {
    if (this.#closed) return true;
    const queued = this.queuedBytes;
    if (queued > 0 && queued + bytes.byteLength > this.#highWaterMarkBytes) return false;
    if (!this.#blocked) {
      this.#push(bytes);
      return true;
    }
    this.#pendingBytes += bytes.byteLength;
    const body = mutations ? mutationBatchBody(bytes) : undefined;
    if (body === undefined) {
      this.#pending.push(bytes);
      return true;
    }
    const last = this.#pending.at(-1);
    if (last !== undefined && !(last instanceof Uint8Array) && last.bodyBytes + body.byteLength + 6 <= this.#mergeLimitBytes) {
      last.bodies.push(body);
      last.bodyBytes += body.byteLength;
      last.queuedBytes += bytes.byteLength;
    } else {
      this.#pending.push({ bodies: [body], bodyBytes: body.byteLength, queuedBytes: bytes.byteLength });
    }
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
      const next = this.#pending.shift()!;
      this.#pendingBytes -= next instanceof Uint8Array ? next.byteLength : next.queuedBytes;
      this.#push(next instanceof Uint8Array ? next : mutationsEnvelope(next));
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The `MutationBatch` body of an encoded mutations `Envelope`, or undefined when `bytes` is not one. */
function mutationBatchBody(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes[0] !== MUTATIONS_TAG) return undefined;
  let length = 0;
  let shift = 0;
  let at = 1;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined || shift > 28) return undefined;
    length += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return at + length === bytes.byteLength ? bytes.subarray(at) : undefined;
}

/** One mutations `Envelope` carrying the concatenation of `merged`'s bodies. */
function mutationsEnvelope(merged: MergedBatches): Uint8Array {
  let length = merged.bodyBytes;
  const header = [MUTATIONS_TAG];
  while (length > 0x7f) {
    header.push((length & 0x7f) | 0x80);
    length = Math.floor(length / 128);
  }
  header.push(length);
  const out = Buffer.allocUnsafe(header.length + merged.bodyBytes);
  out.set(header, 0);
  let at = header.length;
  for (const body of merged.bodies) {
    out.set(body, at);
    at += body.byteLength;
  }
  return out;
}
