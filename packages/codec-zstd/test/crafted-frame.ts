/** Block types of the zstd format. */
export const BLOCK = { raw: 0, rle: 1, compressed: 2, reserved: 3 } as const;

/** A hand-built zstd frame: a header (window 1 MiB unless single-segment) and RLE blocks, for bomb tests. */
export function craftedFrame(options: {
  /** Number of blocks, each `blockSize` bytes of one repeated byte. */
  blocks: number;
  blockSize: number;
  /** Declared content size (4 bytes, or 8 when over 2^32); absent when undefined. */
  contentSize?: number;
  blockType?: number;
}): Uint8Array {
  const { blocks, blockSize, contentSize } = options;
  const type = options.blockType ?? BLOCK.rle;
  const header: number[] = [0x28, 0xb5, 0x2f, 0xfd];
  if (contentSize === undefined) {
    header.push(0x00, 0x50); // no content size; window 2^(10+10) = 1 MiB
  } else {
    const wide = contentSize > 0xffff_ffff;
    header.push(wide ? 0xc0 : 0x80, 0x50);
    let value = contentSize;
    for (let i = 0; i < (wide ? 8 : 4); i++) {
      header.push(value % 256);
      value = Math.floor(value / 256);
    }
  }
  const bodyBytes = type === BLOCK.rle ? 1 : type === BLOCK.reserved ? 0 : blockSize;
  const out = new Uint8Array(header.length + blocks * (3 + bodyBytes));
  out.set(header);
  let offset = header.length;
  for (let i = 0; i < blocks; i++) {
    const word = (i === blocks - 1 ? 1 : 0) | (type << 1) | (blockSize << 3);
    out[offset++] = word & 0xff;
    out[offset++] = (word >>> 8) & 0xff;
    out[offset++] = (word >>> 16) & 0xff;
    out.fill(0x41, offset, offset + bodyBytes);
    offset += bodyBytes;
  }
  return out;
}
