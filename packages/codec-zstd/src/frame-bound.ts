import { StatemeshError } from '@statemesh/contracts';

/** Magic number of a zstd frame, read little-endian (bytes `28 b5 2f fd`). */
export const ZSTD_MAGIC = 0xfd2fb528;

const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** zstd never emits a block that decodes to more than 128 KiB. */
const BLOCK_SIZE_MAX = 128 * 1024;
const BLOCK_TYPE_RAW = 0;
const BLOCK_TYPE_RLE = 1;
const BLOCK_TYPE_COMPRESSED = 2;

/** What the headers of a zstd input say about its decoded size, learnt without decoding it. */
export interface ZstdFrameBound {
  /** Zstd frames in the input (skippable frames not counted). */
  readonly frames: number;
  /** Upper bound of the decoded size; equal to it when {@link exact}. */
  readonly maxDecodedBytes: number;
  /** True when every frame declares its content size, so {@link maxDecodedBytes} is the decoded size. */
  readonly exact: boolean;
  /** True when some frame carries zstd's content checksum (the decoder checks it). */
  readonly checksummed: boolean;
}

/** Where the header of one zstd frame ends and what it declares. */
export interface ZstdFrameHeader {
  /** Offset of the first block header. */
  readonly headerEnd: number;
  /** Byte offset of the frame header descriptor. */
  readonly descriptorOffset: number;
  /** Declared content size, or undefined when the frame does not carry one. */
  readonly contentSize: number | undefined;
  readonly windowSize: number;
  readonly dictionaryId: number;
  readonly checksum: boolean;
}

/**
 * Walks every frame header and block header of `data` (never the compressed payload) and returns an upper bound
 * of what it decodes to. A frame that declares its content size is bounded by it (the decoder enforces the
 * declaration); a frame without one is bounded by its blocks: a raw block by its size, an RLE block by its
 * repeat count, a compressed block by the block maximum, min(window size, 128 KiB).
 * Throws `CORRUPT_INPUT` on anything that is not a well-formed sequence of zstd (or skippable) frames, and
 * `DECODED_TOO_LARGE` as soon as the bound passes `limit`.
 */
export function boundZstdFrames(data: Uint8Array, limit: number): ZstdFrameBound {
  if (data.byteLength === 0) throw corrupt('the input is empty, not a zstd frame', 0);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  let frames = 0;
  let total = 0;
  let exact = true;
  let checksummed = false;
  while (offset < data.byteLength) {
    need(data, offset, 4, 'a frame magic number');
    const magic = view.getUint32(offset, true);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(data, offset + 4, 4, 'a skippable frame size');
      const size = view.getUint32(offset + 4, true);
      need(data, offset + 8, size, 'a skippable frame body');
      offset += 8 + size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) {
      throw corrupt(
        `bad magic number 0x${magic.toString(16).padStart(8, '0')} (a zstd frame starts with 0x${ZSTD_MAGIC.toString(16)})`,
        offset,
      );
    }
    const header = readZstdFrameHeader(data, offset);
    if (header.dictionaryId !== 0) {
      throw corrupt(`the frame needs zstd dictionary ${header.dictionaryId}; dictionaries are not supported`, offset);
    }
    if (header.contentSize !== undefined && total + header.contentSize > limit) {
      throw tooLarge(total + header.contentSize, limit, true);
    }
    const blockMax = Math.min(header.windowSize, BLOCK_SIZE_MAX);
    let blocksBound = 0;
    let cursor = header.headerEnd;
    for (let last = false; !last; ) {
      need(data, cursor, 3, 'a block header');
      const raw = data[cursor]! | (data[cursor + 1]! << 8) | (data[cursor + 2]! << 16);
      last = (raw & 1) === 1;
      const type = (raw >>> 1) & 3;
      const size = raw >>> 3;
      cursor += 3;
      if (size > blockMax) throw corrupt(`a block of ${size} bytes is over the block maximum of ${blockMax}`, cursor - 3);
      if (type === BLOCK_TYPE_RAW) {
        need(data, cursor, size, 'a raw block');
        blocksBound += size;
        cursor += size;
      } else if (type === BLOCK_TYPE_RLE) {
        need(data, cursor, 1, 'an RLE block');
        blocksBound += size;
        cursor += 1;
      } else if (type === BLOCK_TYPE_COMPRESSED) {
        need(data, cursor, size, 'a compressed block');
        blocksBound += blockMax;
        cursor += size;
      } else {
        throw corrupt('a block has the reserved block type 3', cursor - 3);
      }
      // Refuse a bomb early, before walking the rest of its (possibly millions of) blocks.
      if (header.contentSize === undefined && total + blocksBound > limit) throw tooLarge(total + blocksBound, limit, false);
    }
    if (header.checksum) {
      need(data, cursor, 4, 'the content checksum');
      cursor += 4;
      checksummed = true;
    }
    if (header.contentSize === undefined) {
      exact = false;
      total += blocksBound;
    } else {
      if (blocksBound < header.contentSize) {
        throw corrupt(`the frame declares ${header.contentSize} bytes but its blocks hold at most ${blocksBound}`, offset);
      }
      total += header.contentSize;
    }
    if (total > limit) throw tooLarge(total, limit, header.contentSize !== undefined);
    frames++;
    offset = cursor;
  }
  if (frames === 0) throw corrupt('the input holds only skippable frames, no zstd frame', 0);
  return { frames, maxDecodedBytes: total, exact, checksummed };
}

/** Reads the frame header that starts (magic included) at `offset`. Throws `CORRUPT_INPUT`. */
export function readZstdFrameHeader(data: Uint8Array, offset: number): ZstdFrameHeader {
  need(data, offset + 4, 1, 'a frame header descriptor');
  const descriptor = data[offset + 4]!;
  const fcsFlag = descriptor >>> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  if ((descriptor & 0x08) !== 0) throw corrupt('the frame header descriptor has its reserved bit set', offset + 4);
  const checksum = (descriptor & 0x04) !== 0;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]!;
  const contentSizeBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  let cursor = offset + 5;
  let windowSize = 0;
  if (!singleSegment) {
    need(data, cursor, 1, 'a window descriptor');
    const windowDescriptor = data[cursor]!;
    const windowBase = 2 ** (10 + (windowDescriptor >>> 3));
    windowSize = windowBase + (windowBase / 8) * (windowDescriptor & 7);
    cursor += 1;
  }
  need(data, cursor, dictionaryIdBytes + contentSizeBytes, 'the frame header');
  let dictionaryId = 0;
  for (let i = dictionaryIdBytes - 1; i >= 0; i--) dictionaryId = dictionaryId * 256 + data[cursor + i]!;
  cursor += dictionaryIdBytes;
  let contentSize: number | undefined;
  if (contentSizeBytes > 0) {
    let value = 0;
    for (let i = contentSizeBytes - 1; i >= 0; i--) value = value * 256 + data[cursor + i]!;
    // Two-byte sizes are stored minus 256. Eight-byte sizes past 2^53 lose precision but stay huge: still refused.
    contentSize = contentSizeBytes === 2 ? value + 256 : value;
    cursor += contentSizeBytes;
  }
  // A single-segment frame's window is its content: the whole output is the window.
  if (singleSegment) windowSize = contentSize ?? 0;
  return { headerEnd: cursor, descriptorOffset: offset + 4, contentSize, windowSize, dictionaryId, checksum };
}

function need(data: Uint8Array, offset: number, bytes: number, what: string): void {
  if (offset + bytes > data.byteLength) {
    throw corrupt(`the input is truncated: it ends at byte ${data.byteLength} inside ${what}`, offset);
  }
}

function corrupt(reason: string, offset: number): StatemeshError {
  return new StatemeshError(
    'CORRUPT_INPUT',
    `@statemesh/codec-zstd: not a valid zstd input: ${reason} (at byte ${offset}); check that the data was written by a zstd encoder and not cut short`,
    { details: { offset } },
  );
}

function tooLarge(size: number, max: number, exact: boolean): StatemeshError {
  const what = exact ? `decodes to ${size} bytes` : `may decode to up to ${size} bytes (it declares no content size)`;
  return new StatemeshError(
    'DECODED_TOO_LARGE',
    `@statemesh/codec-zstd: the zstd input ${what}, over the limit of ${max}; raise maxDecodedBytes if this value is legitimate`,
    { details: { size, max, exact } },
  );
}
