import { isStatemeshError, rawCodec } from '@statemesh/contracts';
import { decodeMessageBatch, encodeMessageBatch, zstdCodec } from '@statemesh/codec-zstd';
import { describe, expect, it } from 'vitest';
import { seededBytes, seededJson } from './seeded-random.ts';
import { zstdCli } from './zstd-cli.ts';

const codec = zstdCodec();

describe('message batches', () => {
  it('round-trips many messages of every size, empty ones included, through one zstd frame', async () => {
    const messages = [new Uint8Array(0), new Uint8Array([1]), seededJson(1024, 1), seededBytes(127, 2), seededBytes(128, 3), seededJson(70_000, 4)];
    for (let i = 0; i < 200; i++) messages.push(seededJson(1024, 100 + i));
    const batch = await encodeMessageBatch(codec, messages);
    const total = messages.reduce((sum, m) => sum + m.byteLength, 0);
    expect(batch.byteLength).toBeLessThan(total / 2);
    const decoded = await decodeMessageBatch(codec, batch);
    expect(decoded).toEqual(messages);
  });

  it('writes a standard zstd frame: the CLI decodes it to the length-prefixed messages', async () => {
    const batch = await encodeMessageBatch(codec, [new Uint8Array([7, 8]), new Uint8Array(200).fill(9)]);
    const content = zstdCli(['-d', '-q', '-c'], batch);
    expect([...content.subarray(0, 5)]).toEqual([2, 7, 8, 0xc8, 0x01]);
    expect(content.byteLength).toBe(1 + 2 + 2 + 200);
  });

  it('works with any codec, raw included', async () => {
    const batch = await encodeMessageBatch(rawCodec, [new Uint8Array([1, 2, 3])]);
    expect([...batch]).toEqual([3, 1, 2, 3]);
    expect(await decodeMessageBatch(rawCodec, batch)).toEqual([new Uint8Array([1, 2, 3])]);
  });

  it('decodes the empty batch to no messages', async () => {
    expect(await decodeMessageBatch(codec, await encodeMessageBatch(codec, []))).toEqual([]);
  });

  it('refuses a batch whose lengths run past its end with CORRUPT_INPUT', async () => {
    const lying = await codec.encode(new Uint8Array([5, 1, 2]));
    await expect(decodeMessageBatch(codec, lying)).rejects.toSatisfy((error) => isStatemeshError(error, 'CORRUPT_INPUT'));
    const endless = await codec.encode(new Uint8Array([0x80, 0x80]));
    await expect(decodeMessageBatch(codec, endless)).rejects.toSatisfy((error) => isStatemeshError(error, 'CORRUPT_INPUT'));
  });

  it('bounds the whole decoded batch by maxDecodedBytes', async () => {
    const batch = await encodeMessageBatch(codec, [new Uint8Array(5000), new Uint8Array(5000)]);
    await expect(decodeMessageBatch(codec, batch, { maxDecodedBytes: 9000 })).rejects.toSatisfy((error) =>
      isStatemeshError(error, 'DECODED_TOO_LARGE'),
    );
  });

  it('refuses a batch that is not an array of Uint8Array with INVALID_ARGUMENT', async () => {
    await expect(encodeMessageBatch(codec, ['x'] as unknown as Uint8Array[])).rejects.toSatisfy((error) =>
      isStatemeshError(error, 'INVALID_ARGUMENT'),
    );
  });
});
