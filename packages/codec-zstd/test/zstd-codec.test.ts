import { CodecRegistry, isStatemeshError } from '@statemesh/contracts';
import { type ZstdNativeBinding, registerZstd, zstdCodec } from '@statemesh/codec-zstd';
import { describe, expect, it } from 'vitest';
import { seededBytes, seededJson } from './seeded-random.ts';

const codec = zstdCodec();

async function roundTrip(data: Uint8Array): Promise<Uint8Array> {
  const encoded = await codec.encode(data);
  const decoded = await codec.decode(encoded);
  expect(decoded.byteLength).toBe(data.byteLength);
  expect(Buffer.compare(decoded, data)).toBe(0);
  return encoded;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('zstdCodec round trips', () => {
  it('round-trips the empty input into a valid frame', async () => {
    const encoded = await roundTrip(new Uint8Array(0));
    expect([...encoded.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
  });

  it('round-trips one byte', async () => {
    const encoded = await roundTrip(new Uint8Array([0x7f]));
    expect(encoded.byteLength).toBeLessThan(20);
  });

  it('compresses 100 000 x "A" to less than 1% of its size', async () => {
    const encoded = await roundTrip(new Uint8Array(100_000).fill(0x41));
    expect(encoded.byteLength).toBeLessThan(1000);
  });

  it('round-trips 8 KiB of seeded random bytes (incompressible: barely grows)', async () => {
    const data = seededBytes(8192, 42);
    const encoded = await roundTrip(data);
    expect(encoded.byteLength).toBeLessThan(8192 + 64);
  });

  it('round-trips a 64 MiB buffer', async () => {
    const block = seededBytes(1024 * 1024, 7).map((byte) => byte & 0x0f);
    const data = new Uint8Array(64 * 1024 * 1024);
    for (let i = 0; i < 64; i++) {
      data.set(block, i * block.byteLength);
      data[i * block.byteLength + i] = 0xff; // every copy differs
    }
    const encoded = await roundTrip(data);
    expect(encoded.byteLength).toBeLessThan(data.byteLength / 2);
  });

  it('returns plain Uint8Arrays, not Buffers, and accepts views into larger buffers', async () => {
    const backing = seededJson(4096, 3);
    const view = backing.subarray(100, 3000);
    const encoded = await codec.encode(view);
    const decoded = await codec.decode(encoded);
    expect(Object.getPrototypeOf(encoded)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(decoded)).toBe(Uint8Array.prototype);
    expect(decoded).toEqual(new Uint8Array(view));
  });

  it('is deterministic for a given input and level', async () => {
    const data = seededJson(50_000, 9);
    expect(await codec.encode(data)).toEqual(await codec.encode(data));
  });

  it('writes the content size into every frame header, so the decoded size is known up front', async () => {
    for (const size of [1, 255, 256, 65_791, 65_792, 200_000]) {
      const data = seededJson(size, size);
      const encoded = await roundTrip(data);
      // A frame header that declares its size lets the decoder refuse exactly at the limit.
      expect(await codec.decode(encoded, { maxDecodedBytes: size })).toHaveLength(size);
      const error = await rejection(codec.decode(encoded, { maxDecodedBytes: size - 1 }));
      expect(isStatemeshError(error, 'DECODED_TOO_LARGE')).toBe(true);
    }
  });
});

describe('zstdCodec levels', () => {
  it('honours the level: level 19 output is smaller than level 1 output on compressible data', async () => {
    const data = seededJson(100_000, 1);
    const fast = await zstdCodec({ level: 1 }).encode(data);
    const small = await zstdCodec({ level: 19 }).encode(data);
    expect(small.byteLength).toBeLessThan(fast.byteLength);
    expect(await codec.decode(small)).toEqual(data);
    expect(await codec.decode(fast)).toEqual(data);
  });

  it('defaults to level 3 and reports its settings', () => {
    expect(codec.id).toBe('zstd');
    expect(codec.level).toBe(3);
    expect(codec.maxDecodedBytes).toBe(1024 * 1024 * 1024);
    expect(zstdCodec({ level: -5, maxDecodedBytes: 10 })).toMatchObject({ level: -5, maxDecodedBytes: 10 });
  });

  it('refuses levels zstd does not have with INVALID_ARGUMENT', () => {
    for (const level of [23, 1.5, Number.NaN, -200_000]) {
      expect(() => zstdCodec({ level })).toThrowError(/level must be an integer from -131072 to 22/);
    }
    let thrown: unknown;
    try {
      zstdCodec({ level: 99 });
    } catch (error) {
      thrown = error;
    }
    expect(isStatemeshError(thrown, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses a negative or fractional maxDecodedBytes with INVALID_ARGUMENT', async () => {
    expect(() => zstdCodec({ maxDecodedBytes: -1 })).toThrowError(/maxDecodedBytes must be a non-negative integer/);
    const error = await rejection(codec.decode(await codec.encode(new Uint8Array(3)), { maxDecodedBytes: 0.5 }));
    expect(isStatemeshError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('registerZstd', () => {
  it('adds zstd beside the built-in raw and rle codecs', async () => {
    const registry = registerZstd(CodecRegistry.withBuiltins());
    expect(registry.ids()).toEqual(['raw', 'rle', 'zstd']);
    const data = seededJson(10_000, 5);
    const encoded = await registry.encode('zstd', data);
    expect(encoded.byteLength).toBeLessThan(data.byteLength);
    expect(await registry.decode('zstd', encoded)).toEqual(data);
  });

  it('passes options through to the registered codec', async () => {
    const registry = registerZstd(new CodecRegistry(), { maxDecodedBytes: 100 });
    const encoded = await registry.encode('zstd', new Uint8Array(101));
    const error = await rejection(registry.decode('zstd', encoded));
    expect(isStatemeshError(error, 'DECODED_TOO_LARGE')).toBe(true);
    // A decode call's own limit wins over the codec's default.
    expect(await registry.decode('zstd', encoded, { maxDecodedBytes: 101 })).toHaveLength(101);
  });
});

describe('zstdCodec failures', () => {
  it('refuses a non-Uint8Array input with INVALID_ARGUMENT', async () => {
    const error = await rejection(codec.encode('text' as unknown as Uint8Array));
    expect(isStatemeshError(error, 'INVALID_ARGUMENT')).toBe(true);
    const decodeError = await rejection(codec.decode([1, 2] as unknown as Uint8Array));
    expect(isStatemeshError(decodeError, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('throws COMPRESSION_FAILED when the binding fails, never returning the input unchanged', async () => {
    const failing: ZstdNativeBinding = {
      compress: () => Promise.reject(new Error('out of memory')),
      decompress: () => Promise.reject(new Error('unused')),
    };
    const error = await rejection(zstdCodec({ binding: failing }).encode(new Uint8Array(10)));
    expect(isStatemeshError(error, 'COMPRESSION_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/^@statemesh\/codec-zstd: .*out of memory/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('throws COMPRESSION_FAILED when the binding returns something that is not a zstd frame', async () => {
    const lying: ZstdNativeBinding = {
      compress: (data) => Promise.resolve(data),
      decompress: (data) => Promise.resolve(data),
    };
    const error = await rejection(zstdCodec({ binding: lying }).encode(new Uint8Array([1, 2, 3, 4, 5])));
    expect(isStatemeshError(error, 'COMPRESSION_FAILED')).toBe(true);
  });

  it('maps a native decode failure to CORRUPT_INPUT with the cause kept', async () => {
    const frame = await codec.encode(seededJson(1000, 1));
    const failing: ZstdNativeBinding = {
      compress: () => Promise.reject(new Error('unused')),
      decompress: () => Promise.reject(Object.assign(new Error('Unknown frame descriptor'), { code: 'GenericFailure' })),
    };
    const error = await rejection(zstdCodec({ binding: failing }).decode(frame));
    expect(isStatemeshError(error, 'CORRUPT_INPUT')).toBe(true);
    expect((error as Error).message).toMatch(/Unknown frame descriptor/);
  });
});
