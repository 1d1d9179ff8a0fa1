import { RECORD_HEADER_BYTES } from './log-frame.js';
import { crc32c } from './crc32c.js';

const INITIAL_BYTES = 256 * 1024;
/** A buffer grown past this for a burst (or one huge record) is given back once it is empty. */
const SHRINK_ABOVE = 8 * 1024 * 1024;

/**
 * Framed records appended and not yet written, one after the other in one growing buffer: an append allocates
 * nothing (its record is framed in place), and a flush writes a view of the buffer. Appends made while a write is
 * in flight go after it; the buffer is reused from its start once everything taken was written and nothing is left.
 */
export class PendingRecords {
  #bytes = new Uint8Array(INITIAL_BYTES);
  /** Offset of the first pending record, and of the end of the last. */
  #start = 0;
  #end = 0;
  /** End offset of each pending record, from `#first` on. */
  #ends: number[] = [];
  #first = 0;

  /** Records pending. */
  get count(): number {
    return this.#ends.length - this.#first;
  }

  /**
   * Frames one record of kind `kind` whose body is `bodyLength` bytes, written by `fill(bytes, at)` at `at` (the
   * body's first byte): header, kind byte and both checksums are filled in here.
   */
  add(kind: number, bodyLength: number, fill: (bytes: Uint8Array, at: number) => void): void {
    const size = RECORD_HEADER_BYTES + 1 + bodyLength;
    this.#reserve(size);
    const out = this.#bytes;
    const at = this.#end;
    out[at + RECORD_HEADER_BYTES] = kind;
    fill(out, at + RECORD_HEADER_BYTES + 1);
    putU32(out, at, bodyLength + 1);
    putU32(out, at + 4, crc32c(out, at + RECORD_HEADER_BYTES, at + size));
    putU32(out, at + 8, crc32c(out, at, at + 8));
    this.#end = at + size;
    this.#ends.push(this.#end);
  }

  /** The bytes of the first `records` pending records (a view, valid until {@link settled} found nothing left), and their length. */
  take(records: number): Uint8Array {
    const stop = this.#ends[this.#first + records - 1]!;
    const view = this.#bytes.subarray(this.#start, stop);
    this.#start = stop;
    this.#first += records;
    if (this.#first > 4096 && this.#first * 2 > this.#ends.length) {
      this.#ends = this.#ends.slice(this.#first);
      this.#first = 0;
    }
    return view;
  }

  /** What {@link take} returned was written (or given up): with nothing pending, the buffer is reused from its start. */
  settled(): void {
    if (this.count === 0) this.clear();
  }

  /** Drops every pending record. Only between writes. */
  clear(): void {
    if (this.#bytes.length > SHRINK_ABOVE) this.#bytes = new Uint8Array(INITIAL_BYTES);
    this.#start = this.#end = 0;
    this.#ends = [];
    this.#first = 0;
  }

  #reserve(size: number): void {
    if (this.#end + size <= this.#bytes.length) return;
    // A new buffer (a write in flight keeps its view of the old one), the pending bytes moved to its start.
    const pending = this.#end - this.#start;
    let capacity = this.#bytes.length;
    while (capacity < 2 * (pending + size)) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.#bytes.subarray(this.#start, this.#end));
    const shift = this.#start;
    const ends = this.#ends.slice(this.#first);
    for (let i = 0; i < ends.length; i++) ends[i] = ends[i]! - shift;
    this.#ends = ends;
    this.#first = 0;
    this.#bytes = next;
    this.#start = 0;
    this.#end = pending;
  }
}

/** Little-endian u32 into `out` at `at`. */
function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = value >>> 24;
}
