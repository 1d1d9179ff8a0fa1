import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import { decodeFrameBody, isKnownKind } from './frame-body-decoder.js';
import { malformedFrame } from './frame-error.js';
import type { Frame, UnknownFrame } from './frame.js';
import { DEFAULT_MAX_FRAME_BYTES } from './ipc-frame.js';
import { IpcFrameReader } from './ipc-frame-reader.js';

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
 * Turns a byte stream (socket reads of any size) into decoded frames: an {@link IpcFrameReader} splits the stream
 * (a header's length is checked against `maxFrameBytes` before anything is buffered), then each body is decoded;
 * a kind this version does not know comes out as an `UnknownFrame`. The first error (`BAD_MAGIC`,
 * `FRAME_TOO_LARGE`, `MALFORMED_FRAME`) poisons the decoder: every later `push` throws it again, and the
 * connection should close.
 */
export class IpcFrameDecoder {
  readonly #reader: IpcFrameReader;
  #error: StatemeshError | undefined;

  constructor(options?: IpcFrameDecoderOptions) {
    const max = options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/wire: maxFrameBytes ${String(max)} is not an integer in 0-4294967295`, {
        details: { maxFrameBytes: max },
      });
    }
    this.#reader = new IpcFrameReader({ maxFrameBytes: max });
  }

  /** Bytes held for a frame not yet complete (header and body so far). */
  get bufferedBytes(): number {
    return this.#error === undefined ? this.#reader.bufferedBytes : 0;
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
      return this.#reader.push(chunk).map(({ kind, version, body }) => ({
        version,
        frame: isKnownKind(kind) ? decodeFrameBody(kind, body) : { kind: 'unknown', code: kind },
      }));
    } catch (error) {
      // Frames completed earlier in this same read are dropped with the connection.
      this.#error = isStatemeshError(error) ? error : malformedFrame(`unexpected decoder failure (${String(error)})`, error);
      throw this.#error;
    }
  }
}
