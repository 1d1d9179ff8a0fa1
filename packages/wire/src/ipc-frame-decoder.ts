import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import { decodeFrameBody, isKnownKind } from './frame-body-decoder.js';
import { malformedFrame } from './frame-error.js';
import type { Frame, UnknownFrame } from './frame.js';
import { DEFAULT_MAX_FRAME_BYTES, IPC_HEADER_BYTES, IPC_MAGIC } from './ipc-frame.js';

/** One frame taken off an IPC byte stream, with the protocol version its header carried. */
export interface IpcFrame {
  version: number;
  frame: Frame | UnknownFrame;
}

/** Options for {@link IpcFrameDecoder}. */
export interface IpcFrameDecoderOptions {
  /** Largest frame body accepted, in bytes (default 64 MiB); a larger length field fails with `FRAME_TOO_LARGE`. */
  maxFrameBytes?: number;
}

/**
 * Turns a byte stream (socket reads of any size) into frames: a frame may be split across reads and one read may
 * hold many frames. A header's length is checked against `maxFrameBytes` before anything is buffered, so a
 * decoder never holds more than one frame's worth of body. The first error (`BAD_MAGIC`, `FRAME_TOO_LARGE`,
 * `MALFORMED_FRAME`) poisons the decoder: every later `push` throws it again, and the connection should close.
 */
export class IpcFrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #header = new Uint8Array(IPC_HEADER_BYTES);
  #headerFill = 0;
  #version = 0;
  #kind = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #skipLeft = 0;
  #error: StatemeshError | undefined;

  constructor(options?: IpcFrameDecoderOptions) {
    const max = options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/wire: maxFrameBytes ${String(max)} is not an integer in 0-4294967295`, {
        details: { maxFrameBytes: max },
      });
    }
    this.#maxFrameBytes = max;
  }

  /** Bytes held for a frame not yet complete (header and body so far). */
  get bufferedBytes(): number {
    return this.#headerFill + this.#bodyFill;
  }

  /** The error that poisoned this decoder, if any. */
  get error(): StatemeshError | undefined {
    return this.#error;
  }

  /** Feeds the next bytes of the stream; returns the frames they complete, in order. */
  push(chunk: Uint8Array): IpcFrame[] {
    if (this.#error !== undefined) throw this.#error;
    if (!(chunk instanceof Uint8Array)) {
      throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/wire: IpcFrameDecoder.push expects a Uint8Array (a Buffer from the socket)');
    }
    try {
      return this.#consume(chunk);
    } catch (error) {
      this.#error = isStatemeshError(error) ? error : malformedFrame(`unexpected decoder failure (${String(error)})`, error);
      // Nothing more will be decoded: release what was buffered. Frames completed earlier in this same read are
      // dropped with the connection.
      this.#body = undefined;
      this.#bodyFill = 0;
      this.#headerFill = 0;
      this.#skipLeft = 0;
      throw this.#error;
    }
  }

  #consume(chunk: Uint8Array): IpcFrame[] {
    const out: IpcFrame[] = [];
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      if (this.#skipLeft > 0) {
        const n = Math.min(this.#skipLeft, length - pos);
        pos += n;
        this.#skipLeft -= n;
        if (this.#skipLeft === 0) out.push({ version: this.#version, frame: { kind: 'unknown', code: this.#kind } });
        continue;
      }
      const body = this.#body;
      if (body !== undefined) {
        const n = Math.min(body.length - this.#bodyFill, length - pos);
        body.set(chunk.subarray(pos, pos + n), this.#bodyFill);
        this.#bodyFill += n;
        pos += n;
        if (this.#bodyFill === body.length) {
          this.#body = undefined;
          this.#bodyFill = 0;
          out.push({ version: this.#version, frame: decodeFrameBody(this.#kind, body) });
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
          // Check the magic as soon as its bytes are here, so that garbage fails on its first read.
          this.#checkPartialMagic();
          break;
        }
        this.#headerFill = 0;
        bodyLength = this.#readHeader(this.#header, 0);
      }
      if (!isKnownKind(this.#kind)) {
        // Unknown kinds are skipped without buffering their body.
        if (bodyLength === 0) out.push({ version: this.#version, frame: { kind: 'unknown', code: this.#kind } });
        else this.#skipLeft = bodyLength;
      } else if (length - pos >= bodyLength) {
        // The whole body is in this read: decode it in place (decoded bytes and strings are copies).
        out.push({ version: this.#version, frame: decodeFrameBody(this.#kind, chunk.subarray(pos, pos + bodyLength)) });
        pos += bodyLength;
      } else {
        this.#body = new Uint8Array(bodyLength);
        this.#bodyFill = 0;
      }
    }
    return out;
  }

  /** Parses and checks a header at `bytes[at..at+12)`; sets version and kind and returns the body length. */
  #readHeader(bytes: Uint8Array, at: number): number {
    const magic = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    if (magic !== IPC_MAGIC) throw badMagic(bytes.subarray(at, at + 4));
    const version = bytes[at + 4]! | (bytes[at + 5]! << 8);
    const kind = bytes[at + 6]! | (bytes[at + 7]! << 8);
    const bodyLength = (bytes[at + 8]! | (bytes[at + 9]! << 8) | (bytes[at + 10]! << 16) | (bytes[at + 11]! << 24)) >>> 0;
    if (version === 0) throw malformedFrame('the IPC header carries protocol version 0');
    if (bodyLength > this.#maxFrameBytes) {
      throw new StatemeshError(
        'FRAME_TOO_LARGE',
        `@statemesh/wire: an IPC frame announces a ${bodyLength}-byte body, over the limit of ${this.#maxFrameBytes}; close the connection, or raise maxFrameBytes if such frames are legitimate`,
        { details: { size: bodyLength, max: this.#maxFrameBytes, kind } },
      );
    }
    this.#version = version;
    this.#kind = kind;
    return bodyLength;
  }

  #checkPartialMagic(): void {
    const header = this.#header;
    for (let i = 0; i < Math.min(4, this.#headerFill); i++) {
      if (header[i] !== ((IPC_MAGIC >>> (8 * i)) & 0xff)) throw badMagic(header.subarray(0, this.#headerFill));
    }
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
