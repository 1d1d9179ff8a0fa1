import { isStatemeshError, StatemeshError } from '@statemesh/contracts';
import { zstdCodec } from '@statemesh/codec-zstd';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCK, craftedFrame } from './crafted-frame.ts';
import { seededBytes, seededJson } from './seeded-random.ts';
import { zstdCli } from './zstd-cli.ts';

const codec = zstdCodec();

async function decodeError(data: Uint8Array): Promise<StatemeshError> {
  try {
    await codec.decode(data);
  } catch (error) {
    if (isStatemeshError(error)) return error;
    throw error; // a raw native error escaping is a failure of this test
  }
  throw new Error('expected decode to fail');
}

describe('corrupt input fails with CORRUPT_INPUT', () => {
  const payload = seededJson(20_000, 21);
  let frame: Uint8Array = new Uint8Array(0);
  beforeAll(async () => {
    frame = await codec.encode(payload);
  });

  it('refuses the empty input', async () => {
    const error = await decodeError(new Uint8Array(0));
    expect(error.code).toBe('CORRUPT_INPUT');
    expect(error.message).toMatch(/^@statemesh\/codec-zstd: .*empty/);
  });

  it('refuses a wrong magic number', async () => {
    const gzip = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, ...frame.subarray(4)]);
    const error = await decodeError(gzip);
    expect(error.code).toBe('CORRUPT_INPUT');
    expect(error.message).toContain('bad magic number');
  });

  it('refuses the input unchanged: raw bytes are never passed through as if decoded', async () => {
    expect((await decodeError(payload)).code).toBe('CORRUPT_INPUT');
  });

  it('refuses every truncation of a frame', async () => {
    for (let cut = 1; cut < frame.byteLength; cut += Math.max(1, Math.floor(frame.byteLength / 40))) {
      const error = await decodeError(frame.subarray(0, cut));
      expect(error.code, `cut at ${cut}`).toBe('CORRUPT_INPUT');
    }
  });

  it('refuses trailing garbage after a frame', async () => {
    expect((await decodeError(new Uint8Array([...frame, 1, 2, 3, 4, 5]))).code).toBe('CORRUPT_INPUT');
  });

  it('refuses a frame header with the reserved bit set, and the reserved block type', async () => {
    const reservedBit = frame.slice();
    reservedBit[4] = reservedBit[4]! | 0x08;
    expect((await decodeError(reservedBit)).message).toContain('reserved bit');
    const reservedType = craftedFrame({ blocks: 1, blockSize: 10, blockType: BLOCK.reserved });
    expect((await decodeError(reservedType)).message).toContain('reserved block type');
  });

  it('refuses a block larger than the block maximum', async () => {
    const oversize = craftedFrame({ blocks: 1, blockSize: 128 * 1024 + 1, blockType: BLOCK.raw });
    expect((await decodeError(oversize)).message).toContain('over the block maximum');
  });

  it('refuses a frame that declares more bytes than its blocks can hold', async () => {
    const short = craftedFrame({ blocks: 1, blockSize: 100, blockType: BLOCK.raw, contentSize: 1000 });
    expect((await decodeError(short)).message).toContain('declares 1000 bytes');
  });

  it('refuses a frame that needs a dictionary', async () => {
    const withDictionary = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x21, 7, 3, 1, 0, 0, 0x41]);
    expect((await decodeError(withDictionary)).message).toContain('dictionary 7');
  });

  it('detects a flipped byte inside a raw block of a CLI frame through its content checksum', async () => {
    // Random bytes do not compress: zstd stores them in raw blocks, where only the checksum can tell a flip.
    const random = seededBytes(50_000, 3);
    const cliFrame = zstdCli(['-3', '-q', '-c'], random);
    expect(Buffer.compare(await codec.decode(cliFrame), random)).toBe(0);
    const flipped = cliFrame.slice();
    flipped[25_000] = flipped[25_000]! ^ 0x01;
    const error = await decodeError(flipped);
    expect(error.code).toBe('CORRUPT_INPUT');
    expect(error.message).toContain('checksum');
  });

  it('never lets a native error or a wrong-sized output out, whatever byte is damaged (seeded fuzz)', async () => {
    const noise = seededBytes(600, 99);
    const outcomes = new Set<string>();
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const damaged = frame.slice();
      const at = (noise[2 * i]! * 256 + noise[2 * i + 1]!) % damaged.byteLength;
      damaged[at] = damaged[at]! ^ (1 << (i % 8));
      try {
        // Without a checksum a damaged literal can decode, but never to a size other than the declared one.
        outcomes.add(`decoded ${(await codec.decode(damaged)).byteLength} bytes`);
      } catch (error) {
        outcomes.add(isStatemeshError(error) ? error.code : `raw error: ${String(error)}`);
        refused++;
      }
    }
    const allowed = [`decoded ${payload.byteLength} bytes`, 'CORRUPT_INPUT', 'DECODED_TOO_LARGE'];
    expect([...outcomes].filter((outcome) => !allowed.includes(outcome))).toEqual([]);
    expect(refused).toBeGreaterThan(100);
  });
});
