import { readZstdFrameHeader, ZSTD_MAGIC } from './frame-bound.js';

/**
 * Returns `frame` with its content size written into the frame header, when the encoder left it out (the native
 * binding streams, so it never knows the size up front). Decoders then know the exact output size before they
 * decode: ours refuses an oversize input exactly instead of by a block bound, and `zstd -l` shows the size.
 * The blocks are untouched; only the header descriptor's size flag changes and the size field is inserted.
 * `frame` must be one whole frame that decodes to `contentSize` bytes.
 */
export function withContentSize(frame: Uint8Array, contentSize: number): Uint8Array {
  if (frame.byteLength < 6) return frame;
  const magic = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) return frame;
  const header = readZstdFrameHeader(frame, 0);
  if (header.contentSize !== undefined || header.dictionaryId !== 0) return frame;
  // Field sizes of the spec: flag 1 holds 256..65791 in two bytes (stored minus 256), flag 2 four bytes,
  // flag 3 eight bytes. Below 256, without the single-segment bit, the smallest choice is four bytes.
  const flag = contentSize >= 256 && contentSize <= 65_791 ? 1 : contentSize <= 0xffff_ffff ? 2 : 3;
  const fieldBytes = [0, 2, 4, 8][flag]!;
  const out = new Uint8Array(frame.byteLength + fieldBytes);
  out.set(frame.subarray(0, header.headerEnd), 0);
  out[header.descriptorOffset] = (frame[header.descriptorOffset]! & 0x3f) | (flag << 6);
  let value = flag === 1 ? contentSize - 256 : contentSize;
  for (let i = 0; i < fieldBytes; i++) {
    out[header.headerEnd + i] = value % 256;
    value = Math.floor(value / 256);
  }
  out.set(frame.subarray(header.headerEnd), header.headerEnd + fieldBytes);
  return out;
}
