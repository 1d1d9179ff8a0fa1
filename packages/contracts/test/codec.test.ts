import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecRegistry, isStatemeshError, rawCodec, rleCodec } from '@statemesh/contracts';

describe('rle codec', () => {
  it('round-trips any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (data) => {
        expect(await rleCodec.decode(await rleCodec.encode(data))).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });

  it('shrinks runs: 1000 zero bytes become four pairs', async () => {
    expect(Array.from(await rleCodec.encode(new Uint8Array(1000)))).toEqual([255, 0, 255, 0, 255, 0, 235, 0]);
  });

  it('refuses a bomb before allocating, and corrupt input', async () => {
    const bomb = new Uint8Array(2 * 1_000_000).fill(255); // pairs of (255 × byte 255): 255 MB declared
    await expect(rleCodec.decode(bomb, { maxDecodedBytes: 1 << 20 })).rejects.toMatchObject({ code: 'DECODED_TOO_LARGE' });
    await expect(rleCodec.decode(new Uint8Array([3]))).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
    await expect(rleCodec.decode(new Uint8Array([0, 7]))).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
  });
});

describe('raw codec', () => {
  it('is the identity and still honours maxDecodedBytes', async () => {
    const data = new Uint8Array([1, 2, 3]);
    expect(await rawCodec.decode(await rawCodec.encode(data))).toEqual(data);
    await expect(rawCodec.decode(data, { maxDecodedBytes: 2 })).rejects.toMatchObject({ code: 'DECODED_TOO_LARGE' });
  });
});

describe('CodecRegistry', () => {
  it('holds raw and rle, treats the empty id as raw, and names what is registered when a codec is missing', async () => {
    const registry = CodecRegistry.withBuiltins();
    expect(registry.ids()).toEqual(['raw', 'rle']);
    expect(registry.get('')).toBe(rawCodec);
    const error = (() => {
      try {
        registry.get('zstd');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isStatemeshError(error, 'UNKNOWN_CODEC')).toBe(true);
    expect((error as Error).message).toContain('have: raw, rle');
    expect(await registry.decode('rle', await registry.encode('rle', new Uint8Array([9, 9, 9])))).toEqual(new Uint8Array([9, 9, 9]));
  });

  it('accepts custom codecs and rejects ones without an id', () => {
    const registry = new CodecRegistry().register({ id: 'x', encode: async (d) => d, decode: async (d) => d });
    expect(registry.has('x')).toBe(true);
    expect(() => registry.register({ id: '', encode: async (d) => d, decode: async (d) => d })).toThrow(/non-empty string id/);
  });
});
