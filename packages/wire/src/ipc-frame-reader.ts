import { StatemeshError } from '@statemesh/contracts';
import { malformedFrame } from './frame-error.js';
import { DEFAULT_MAX_FRAME_BYTES, IPC_HEADER_BYTES, IPC_MAGIC } from './ipc-frame.js';

/** One frame as it came off an IPC byte stream, its body left encoded (a link hands it on as it is). */
export interface IpcRawFrame {
  kind: number;
  version: number;
  body: Uint8Array;
}

/**
 * Splits an IPC byte stream into frames without decoding their bodies: what a link needs. The length in each
 * header is checked against `maxFrameBytes` (changeable between reads: a link holds it at 64 KiB until the
 * Hello) before any of the body is buffered. The first error (`BAD_MAGIC`, `FRAME_TOO_LARGE`, `MALFORMED_FRAME`)
 * poisons the reader: every later `push` throws it again.
 */
export class IpcFrameReader {
  /** Largest frame body accepted, in bytes. */
  maxFrameBytes: number;
  readonly #header = new Uint8Array(IPC_HEADER_BYTES);
  #headerFill = 0;
  #version = 0;
  #kind = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #error: StatemeshError | undefined;

  constructor(options?: { maxFrameBytes?: number }) {
    this.maxFrameBytes = options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes held for a frame not yet complete. */
  get bufferedBytes(): number {
    return this.#headerFill + this.#bodyFill;
  }

  /** Feeds the next bytes of the stream; returns the frames they complete, in order. */
  push(chunk: Uint8Array): IpcRawFrame[] {
    if (this.#error !== undefined) throw this.#error;
    try {
      return this.#consume(chunk);
    } catch (error) {
      this.#error = error instanceof StatemeshError ? error : malformedFrame(`unexpected reader failure (${String(error)})`, error);
      this.#body = undefined;
      this.#bodyFill = 0;
      this.#headerFill = 0;
      throw this.#error;
    }
  }

  #consume(chunk: Uint8Array): IpcRawFrame[] {
    const out: IpcRawFrame[] = [];
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      const body = this.#body;
      if (body !== undefined) {
        const n = Math.min(body.length - this.#bodyFill, length - pos);
        body.set(chunk.subarray(pos, pos + n), this.#bodyFill);
        this.#bodyFill += n;
        pos += n;
        if (this.#bodyFill === body.length) {
          this.#body = undefined;
          this.#bodyFill = 0;
          out.push({ kind: this.#kind, version: this.#version, body });
        }
        continue;
      }
      let bodyLength: number;
      if (this.#headerFill === 0 && length - pos >= IPC_HEADER_BYTES) {
        bodyLength = this.#readHeader(chunk, pos);
        pos += IPC_HEADER_BYTES;
      } else {
        const n = Math.min(IPC_HEADER_BYTES - this.#headerFill, length - pos);
        this.#header.set(chunk.subarray(pos, pos + n), this.#headerFill);
        this.#headerFill += n;
        pos += n;
        if (this.#headerFill < IPC_HEADER_BYTES) {
          checkPartialMagic(this.#header, this.#headerFill);
          break;
        }
        this.#headerFill = 0;
        bodyLength = this.#readHeader(this.#header, 0);
      }
      if (length - pos >= bodyLength) {
        // A copy: the socket may reuse its buffer, and a relay keeps the body.
        out.push({ kind: this.#kind, version: this.#version, body: chunk.slice(pos, pos + bodyLength) });
        pos += bodyLength;
      } else {
        this.#body = new Uint8Array(bodyLength);
        this.#bodyFill = 0;
      }
    }
    return out;
  }

  #readHeader(bytes: Uint8Array, at: number): number {
    const magic = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    if (magic !== IPC_MAGIC) throw badMagic(bytes.subarray(at, at + 4));
    const version = bytes[at + 4]! | (bytes[at + 5]! << 8);
    const kind = bytes[at + 6]! | (bytes[at + 7]! << 8);
    const bodyLength = (bytes[at + 8]! | (bytes[at + 9]! << 8) | (bytes[at + 10]! << 16) | (bytes[at + 11]! << 24)) >>> 0;
    if (version === 0) throw malformedFrame('the IPC header carries protocol version 0');
    if (bodyLength > this.maxFrameBytes) {
      throw new StatemeshError(
        'FRAME_TOO_LARGE',
        `@statemesh/wire: an IPC frame announces a ${bodyLength}-byte body, over the limit of ${this.maxFrameBytes}; close the connection, or raise maxFrameBytes if such frames are legitimate`,
        { details: { size: bodyLength, max: this.maxFrameBytes, kind } },
      );
    }
    this.#version = version;
    this.#kind = kind;
    return bodyLength;
  }
}

/** The 12-byte IPC header of a frame of `kind` at `version` whose body is `length` bytes. */
export function encodeIpcHeader(kind: number, version: number, length: number): Uint8Array {
  const header = new Uint8Array(IPC_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, IPC_MAGIC, true);
  view.setUint16(4, version, true);
  view.setUint16(6, kind, true);
  view.setUint32(8, length, true);
  return header;
}

function checkPartialMagic(header: Uint8Array, fill: number): void {
  for (let i = 0; i < Math.min(4, fill); i++) {
    if (header[i] !== ((IPC_MAGIC >>> (8 * i)) & 0xff)) throw badMagic(header.subarray(0, fill));
  }
}

function badMagic(bytes: Uint8Array): StatemeshError {
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return new StatemeshError(
    'BAD_MAGIC',
    `@statemesh/wire: the stream does not start a statemesh IPC frame (magic bytes ${hex}, expected 53 4d 53 48 "SMSH"); the peer is not a statemesh node or the stream lost sync: close the connection`,
    { details: { magic: hex } },
  );
}
