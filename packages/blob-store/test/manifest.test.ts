import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { decodeManifest, encodeManifest, type ChunkManifest } from '@statemesh/blob-store';

const digest = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);
const sample: ChunkManifest = {
  chunking: 'fixed',
  chunkSize: 1024,
  totalSize: 2500,
  codec: 'rle',
  contentDigest: digest(1),
  chunks: [
    { digest: digest(2), storedSize: 1024, rawSize: 1024, compressed: false },
    { digest: digest(3), storedSize: 10, rawSize: 1024, compressed: true },
    { digest: digest(2), storedSize: 452, rawSize: 452, compressed: false },
  ],
};

describe('manifest bytes', () => {
  it('round-trips and has the documented layout', () => {
    const bytes = encodeManifest(sample);
    expect(decodeManifest(bytes)).toEqual(sample);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('SMCM');
    expect(bytes[4]).toBe(1);
    expect(bytes.length).toBe(21 + 3 + 32 + 4 + 3 * 41);
  });

  it('refuses foreign bytes, other versions and truncation with their codes', () => {
    const bytes = encodeManifest(sample);
    expect(() => decodeManifest(new TextEncoder().encode('{"json":true}'))).toThrow(expect.objectContaining({ code: 'BAD_MAGIC' }));
    const future = bytes.slice();
    future[4] = 2;
    expect(() => decodeManifest(future)).toThrow(expect.objectContaining({ code: 'VERSION_MISMATCH' }));
    for (const cut of [3, 10, 30, bytes.length - 1]) {
      expect(() => decodeManifest(bytes.subarray(0, cut))).toThrow(/blob-store/);
    }
    expect(() => decodeManifest(bytes.subarray(0, bytes.length - 41))).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
    const trailing = new Uint8Array(bytes.length + 1);
    trailing.set(bytes);
    expect(() => decodeManifest(trailing)).toThrow(expect.objectContaining({ code: 'CORRUPT_INPUT' }));
  });

  it('checks a huge chunk count against the bytes that remain before allocating', () => {
    const bytes = encodeManifest({ ...sample, chunks: [], totalSize: 0 });
    new DataView(bytes.buffer).setUint32(bytes.length - 4, 0xffffffff, true);
    expect(() => decodeManifest(bytes)).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
  });

  it('refuses inconsistent sizes: sums, raw chunks that claim compression gains, oversize chunks', () => {
    const bad: ChunkManifest[] = [
      { ...sample, totalSize: 2501 },
      { ...sample, chunks: [{ ...sample.chunks[0]!, storedSize: 1000 }, ...sample.chunks.slice(1)] },
      { ...sample, chunks: [sample.chunks[0]!, { ...sample.chunks[1]!, storedSize: 2000 }, sample.chunks[2]!] },
      { ...sample, chunks: [{ ...sample.chunks[0]!, rawSize: 2048, storedSize: 2048 }], totalSize: 2048 },
      { ...sample, chunks: [sample.chunks[2]!, sample.chunks[0]!, sample.chunks[1]!] },
      { ...sample, chunkSize: 1 },
    ];
    for (const manifest of bad) expect(() => decodeManifest(encodeManifest(manifest))).toThrow(expect.objectContaining({ code: 'CORRUPT_INPUT' }));
  });

  it('throws only StatemeshErrors on any mutation of valid bytes or on random bytes', () => {
    const valid = encodeManifest(sample);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(valid.length), (edits, cut) => {
        const bytes = valid.slice(0, cut);
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        let consistent: boolean;
        try {
          const decoded = decodeManifest(bytes);
          consistent = decoded.chunks.reduce((n, c) => n + c.rawSize, 0) === decoded.totalSize;
        } catch (error) {
          consistent = isStatemeshError(error);
        }
        expect(consistent).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        let failure: unknown;
        try {
          decodeManifest(bytes);
        } catch (error) {
          failure = error;
        }
        expect(failure === undefined || isStatemeshError(failure)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses to encode what it would not read back', () => {
    expect(() => encodeManifest({ ...sample, codec: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeManifest({ ...sample, contentDigest: 'x' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
