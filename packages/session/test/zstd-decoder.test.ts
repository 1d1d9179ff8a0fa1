// The browser's decode-only zstd codec (fzstd) against frames from the native encoder the Node nodes use.
import { describe, expect, it } from 'vitest';
import { zstdCodec } from '@statemesh/codec-zstd';
import { zstdDecoder } from '../src/browser.ts';

const native = zstdCodec();
const input = new Uint8Array(1_000_000).map((_, i) => ((i * 7) >> 5) % 251);

describe('zstdDecoder', () => {
  it('decodes what the native encoder wrote, byte for byte', async () => {
    const encoded = await native.encode(input);
    expect(encoded.byteLength).toBeLessThan(input.byteLength / 4);
    expect(Buffer.from(await zstdDecoder.decode(encoded)).equals(Buffer.from(input))).toBe(true);
  });

  it('refuses output past maxDecodedBytes with DECODED_TOO_LARGE', async () => {
    const encoded = await native.encode(input);
    await expect(zstdDecoder.decode(encoded, { maxDecodedBytes: 100_000 })).rejects.toMatchObject({ code: 'DECODED_TOO_LARGE', details: { max: 100_000 } });
  });

  it('fails with CORRUPT_INPUT on truncated, empty and foreign input', async () => {
    const encoded = await native.encode(input);
    for (const bad of [encoded.subarray(0, encoded.byteLength - 8), encoded.subarray(0, 6), new Uint8Array(), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])]) {
      await expect(zstdDecoder.decode(bad)).rejects.toMatchObject({ code: 'CORRUPT_INPUT', message: expect.stringMatching(/^@statemesh\/session: zstd input/) });
    }
  });

  it('does not encode: a browser writes raw or rle chunks', async () => {
    await expect(zstdDecoder.encode(input)).rejects.toMatchObject({ code: 'COMPRESSION_FAILED', message: expect.stringContaining("'raw' or 'rle'") });
  });
});
