import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CodecRegistry, StatemeshError, checkMutations, isStatemeshError } from '@statemesh/contracts';
import type { Codec, Mutation } from '@statemesh/contracts';
import { IpcFrameDecoder, compressMutations, decompressMutations, encodeFrameBody, encodeIpcFrame } from '@statemesh/wire';
import type { MutationsFrame } from '@statemesh/wire';
import { describe, expect, it } from 'vitest';

// A real compressor for the tests (node:zlib), honouring maxDecodedBytes like the registry's codecs must.
const deflate: Codec = {
  id: 'deflate',
  encode: (data) => Promise.resolve(new Uint8Array(deflateRawSync(data))),
  decode(data, options) {
    try {
      return Promise.resolve(new Uint8Array(inflateRawSync(data, { maxOutputLength: options?.maxDecodedBytes ?? 2 ** 30 })));
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return Promise.reject(new StatemeshError(tooLarge ? 'DECODED_TOO_LARGE' : 'CORRUPT_INPUT', `test deflate: ${String(error)}`));
    }
  },
};
const registry = CodecRegistry.withBuiltins().register(deflate);

function batch(count: number, payload: (i: number) => Uint8Array = (i) => new TextEncoder().encode(JSON.stringify({ x: i, label: 'sensor reading' }))): MutationsFrame {
  const mutations: Mutation[] = [];
  for (let i = 0; i < count; i++) {
    mutations.push({ hlc: (1_732_000_000_000n << 16n) + BigInt(i), origin: 'node-a', seq: i + 1, path: `scene.objects.item${i}.value`, op: 'set', type: 'json', payload: payload(i) });
  }
  return { kind: 'mutations', mutations: checkMutations(mutations) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('compressMutations / decompressMutations', () => {
  it('compresses a large batch with the named codec, records it with the raw size, and restores it exactly', async () => {
    const frame = batch(200);
    const compressed = await compressMutations(frame, { registry, codec: 'deflate' });
    expect(compressed.mutations).toEqual([]);
    expect(compressed.compressed?.codec).toBe('deflate');
    expect(compressed.compressed?.rawSize).toBe(encodeFrameBody(frame).length);
    expect(compressed.compressed!.data.length).toBeLessThan(compressed.compressed!.rawSize / 2);
    expect(await decompressMutations(compressed, { registry })).toStrictEqual(frame);
  });

  it('carries a compressed batch through IPC framing', async () => {
    const frame = batch(100);
    const compressed = await compressMutations(frame, { registry, codec: 'deflate' });
    const [received] = new IpcFrameDecoder().push(encodeIpcFrame(compressed));
    expect(received!.frame).toStrictEqual(compressed);
    expect(await decompressMutations(received!.frame as MutationsFrame, { registry })).toStrictEqual(frame);
  });

  it('leaves small batches raw (below minBytes, default 256)', async () => {
    const small = batch(2);
    expect(encodeFrameBody(small).length).toBeLessThan(256);
    expect(await compressMutations(small, { registry, codec: 'deflate' })).toBe(small);
    const medium = batch(20);
    expect(await compressMutations(medium, { registry, codec: 'deflate', minBytes: 1 << 20 })).toBe(medium);
    expect((await compressMutations(medium, { registry, codec: 'deflate' })).compressed).toBeDefined();
  });

  it('leaves a batch raw when the codec does not shrink it', async () => {
    let state = 1;
    const noise = (): Uint8Array => Uint8Array.from({ length: 64 }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24);
    const incompressible = batch(30, noise);
    expect(await compressMutations(incompressible, { registry, codec: 'rle' })).toBe(incompressible);
  });

  it('defaults to zstd when registered and otherwise sends raw', async () => {
    const frame = batch(200);
    expect(await compressMutations(frame, { registry })).toBe(frame);
    const withZstd = CodecRegistry.withBuiltins().register({ ...deflate, id: 'zstd' });
    expect((await compressMutations(frame, { registry: withZstd })).compressed?.codec).toBe('zstd');
  });

  it('refuses a codec it does not have, on both sides, with UNKNOWN_CODEC', async () => {
    expect(isStatemeshError(await rejection(compressMutations(batch(200), { registry, codec: 'lz4' })), 'UNKNOWN_CODEC')).toBe(true);
    const compressed = await compressMutations(batch(200), { registry, codec: 'deflate' });
    expect(isStatemeshError(await rejection(decompressMutations(compressed, { registry: CodecRegistry.withBuiltins() })), 'UNKNOWN_CODEC')).toBe(true);
  });

  it('bounds decompression by maxDecodedBytes and by the announced raw size', async () => {
    const compressed = await compressMutations(batch(500), { registry, codec: 'deflate' });
    const rawSize = compressed.compressed!.rawSize;
    const overLimit = await rejection(decompressMutations(compressed, { registry, maxDecodedBytes: rawSize - 1 }));
    expect(isStatemeshError(overLimit, 'DECODED_TOO_LARGE')).toBe(true);
    // A lying peer announces fewer bytes than the data holds: the codec stops at the announced size.
    const lying = { ...compressed, compressed: { ...compressed.compressed!, rawSize: 100 } };
    expect(isStatemeshError(await rejection(decompressMutations(lying, { registry })), 'DECODED_TOO_LARGE')).toBe(true);
    // ... or more than it holds: the size mismatch is refused.
    const short = { ...compressed, compressed: { ...compressed.compressed!, rawSize: rawSize + 1 } };
    expect(isStatemeshError(await rejection(decompressMutations(short, { registry })), 'MALFORMED_FRAME')).toBe(true);
  });

  it('refuses corrupt compressed data and decoded bytes that are not a valid batch', async () => {
    const corrupt: MutationsFrame = { kind: 'mutations', mutations: [], compressed: { codec: 'deflate', rawSize: 50, data: new Uint8Array([0xff, 0xff, 0xff]) } };
    expect(isStatemeshError(await rejection(decompressMutations(corrupt, { registry })), 'CORRUPT_INPUT')).toBe(true);
    const garbage = new Uint8Array(deflateRawSync(new Uint8Array(300).fill(0xff)));
    const notABatch: MutationsFrame = { kind: 'mutations', mutations: [], compressed: { codec: 'deflate', rawSize: 300, data: garbage } };
    expect(isStatemeshError(await rejection(decompressMutations(notABatch, { registry })), 'MALFORMED_FRAME')).toBe(true);
  });
});
