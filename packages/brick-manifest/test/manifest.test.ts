import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@statemesh/contracts/testing';
import { BrickManifest, type BrickInit } from '@statemesh/brick-manifest';

const brand = Symbol.for('@statemesh/error');
const statemeshError = (code: string) => expect.objectContaining({ name: 'StatemeshError', code, [brand]: true });
const DIGEST = 'ab'.repeat(32);

describe('BrickManifest.forVolume', () => {
  it('cuts bricks in z-outer, y, x order with clipped edge bricks and consecutive element ranges', () => {
    const manifest = BrickManifest.forVolume([40, 20, 10], { brickDim: 16, voxelType: 'u16', variableIndex: 2 });
    expect(manifest.length).toBe(3 * 2 * 1);
    expect(manifest.gridShape()).toEqual([3, 2, 1]);
    expect(manifest.volume).toEqual({ dims: [40, 20, 10], brickDim: [16, 16, 16], voxelType: 'u16' });
    expect(manifest.bricks().map((b) => [b.origin, b.size])).toEqual([
      [[0, 0, 0], [16, 16, 10]],
      [[16, 0, 0], [16, 16, 10]],
      [[32, 0, 0], [8, 16, 10]],
      [[0, 16, 0], [16, 4, 10]],
      [[16, 16, 0], [16, 4, 10]],
      [[32, 16, 0], [8, 4, 10]],
    ]);
    const bricks = manifest.bricks();
    expect(bricks[0]).toEqual({ index: 0, origin: [0, 0, 0], size: [16, 16, 10], variableIndex: 2, elementBegin: 0, elementEnd: 2560 });
    for (let i = 1; i < bricks.length; i++) expect(bricks[i]!.elementBegin).toBe(bricks[i - 1]!.elementEnd);
    expect(bricks.at(-1)!.elementEnd).toBe(40 * 20 * 10);
  });

  it('defaults to 32³ bricks of f32', () => {
    const manifest = BrickManifest.forVolume([64, 64, 33]);
    expect(manifest.length).toBe(2 * 2 * 2);
    expect(manifest.volume?.voxelType).toBe('f32');
    expect(manifest.brick(7).size).toEqual([32, 32, 1]);
  });

  it('keeps extents in flat typed arrays', () => {
    const manifest = BrickManifest.forVolume([20, 10, 10], { brickDim: 10 });
    expect([...manifest.boxMin]).toEqual([0, 0, 0, 10, 0, 0]);
    expect([...manifest.boxMax]).toEqual([10, 10, 10, 20, 10, 10]);
  });

  it('refuses bad dims, brick sizes, voxel types and out-of-range indices', () => {
    expect(() => BrickManifest.forVolume([0, 1, 1])).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => BrickManifest.forVolume([1.5, 1, 1])).toThrow(/dims must be three integers/);
    expect(() => BrickManifest.forVolume([8, 8, 8], { brickDim: 0 })).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => BrickManifest.forVolume([8, 8, 8], { voxelType: 'u128' as 'u8' })).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => BrickManifest.forVolume([2 ** 20, 2 ** 20, 2 ** 20], { brickDim: 1 })).toThrow(/use a larger brickDim|2\^53/);
    expect(() => BrickManifest.forVolume([8, 8, 8]).brick(1)).toThrow(statemeshError('INVALID_ARGUMENT'));
  });
});

describe('BrickManifest.fromBricks', () => {
  it('keeps the given bricks, digests and stored sizes', () => {
    const bricks: BrickInit[] = [
      { origin: [0, 0, 0], size: [4, 4, 4], variableIndex: 0, elementBegin: 0, elementEnd: 64, digest: DIGEST, storedBytes: 100 },
      { origin: [4, 0, 0], size: [4, 4, 4], variableIndex: 1, elementBegin: 64, elementEnd: 128 },
    ];
    const manifest = BrickManifest.fromBricks(bricks);
    expect(manifest.bricks()).toEqual(bricks.map((b, index) => ({ index, ...b })));
    expect(manifest.volume).toBeUndefined();
  });

  it('refuses bricks with bad fields', () => {
    const good: BrickInit = { origin: [0, 0, 0], size: [1, 1, 1], variableIndex: 0, elementBegin: 0, elementEnd: 1 };
    for (const bad of [
      { ...good, size: [0, 1, 1] },
      { ...good, origin: [-1, 0, 0] },
      { ...good, origin: [2 ** 32 - 1, 0, 0] },
      { ...good, elementBegin: 5, elementEnd: 4 },
      { ...good, variableIndex: -1 },
      { ...good, digest: 'not-a-digest' },
      { ...good, storedBytes: -3 },
    ] as BrickInit[]) {
      expect(() => BrickManifest.fromBricks([good, bad])).toThrow(statemeshError('INVALID_ARGUMENT'));
    }
    expect(() => BrickManifest.fromBricks([{ ...good, size: [0, 1, 1] }])).toThrow(/^@statemesh\/brick-manifest: brick 0: size/);
  });
});

describe('encode / decode', () => {
  it('round-trips a volume manifest', () => {
    const manifest = BrickManifest.forVolume([100, 37, 53], { brickDim: [16, 8, 32], voxelType: 'i16', variableIndex: 3 });
    const decoded = BrickManifest.decode(manifest.encode());
    expect(decoded.volume).toEqual(manifest.volume);
    expect(decoded.bricks()).toEqual(manifest.bricks());
    expect(decoded.encode()).toEqual(manifest.encode());
  });

  it('round-trips digests, stored sizes, large element numbers and an empty manifest', () => {
    const bricks: BrickInit[] = [
      { origin: [0, 0, 0], size: [1, 2, 3], variableIndex: 7, elementBegin: 2 ** 40, elementEnd: 2 ** 53 - 1, digest: DIGEST },
      { origin: [2 ** 32 - 2, 5, 6], size: [1, 1, 1], variableIndex: 2 ** 32 - 1, elementBegin: 0, elementEnd: 0, storedBytes: 2 ** 33 },
      { origin: [1, 1, 1], size: [1, 1, 1], variableIndex: 0, elementBegin: 1, elementEnd: 2, digest: 'f0'.repeat(32), storedBytes: 0 },
    ];
    const manifest = BrickManifest.fromBricks(bricks, { volume: { dims: [9, 9, 9], brickDim: [3, 3, 3], voxelType: 'f64' } });
    const decoded = BrickManifest.decode(manifest.encode());
    expect(decoded.bricks()).toEqual(manifest.bricks());
    expect(decoded.volume).toEqual(manifest.volume);
    expect(decoded.gridShape()).toBeUndefined();
    const empty = BrickManifest.decode(BrickManifest.fromBricks([]).encode());
    expect(empty.length).toBe(0);
    expect(BrickManifest.fromBricks([]).encode()).toHaveLength(16);
  });

  it('decodes from a view into a larger buffer', () => {
    const bytes = BrickManifest.forVolume([10, 10, 10], { brickDim: 5 }).encode();
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 7);
    expect(BrickManifest.decode(padded.subarray(7, 7 + bytes.length)).length).toBe(8);
  });
});

describe('hostile decode input', () => {
  const sample = () =>
    BrickManifest.fromBricks(
      [
        { origin: [0, 0, 0], size: [4, 4, 4], variableIndex: 0, elementBegin: 0, elementEnd: 64, digest: DIGEST, storedBytes: 9 },
        { origin: [4, 0, 0], size: [4, 4, 4], variableIndex: 0, elementBegin: 64, elementEnd: 128 },
      ],
      { volume: { dims: [8, 4, 4], brickDim: [4, 4, 4], voxelType: 'u8' } },
    ).encode();

  it('refuses every truncation with TRUNCATED', () => {
    const bytes = sample();
    for (let length = 0; length < bytes.length; length++) {
      expect(() => BrickManifest.decode(bytes.subarray(0, length))).toThrow(statemeshError('TRUNCATED'));
    }
  });

  it('refuses a wrong magic, an unknown version, trailing bytes and a bad field', () => {
    const bytes = sample();
    const changed = (at: number, value: number) => {
      const copy = bytes.slice();
      copy[at] = value;
      return copy;
    };
    expect(() => BrickManifest.decode(changed(0, 0x58))).toThrow(statemeshError('BAD_MAGIC'));
    expect(() => BrickManifest.decode(new TextEncoder().encode('{"bricks": []} and more'))).toThrow(statemeshError('BAD_MAGIC'));
    expect(() => BrickManifest.decode(changed(4, 2))).toThrow(statemeshError('VERSION_MISMATCH'));
    expect(() => BrickManifest.decode(changed(6, 0x81))).toThrow(statemeshError('CORRUPT_INPUT'));
    expect(() => BrickManifest.decode(changed(16 + 24, 99))).toThrow(statemeshError('CORRUPT_INPUT')); // voxel type
    const brick0 = 16 + 28;
    expect(() => BrickManifest.decode(changed(brick0 + 12, 0))).toThrow(statemeshError('CORRUPT_INPUT')); // size x = 0
    expect(() => BrickManifest.decode(changed(brick0 + 44, 0x80))).toThrow(statemeshError('CORRUPT_INPUT')); // extras
    expect(() => BrickManifest.decode(new Uint8Array([...bytes, 0]))).toThrow(statemeshError('CORRUPT_INPUT'));
    expect(() => BrickManifest.decode('SMBM' as unknown as Uint8Array)).toThrow(statemeshError('INVALID_ARGUMENT'));
  });

  it('checks a huge brick count against the bytes before allocating anything', () => {
    const bytes = sample();
    new DataView(bytes.buffer).setUint32(8, 0xffffffff, true); // claims 4 billion bricks in ~200 bytes
    expect(() => BrickManifest.decode(bytes)).toThrow(statemeshError('TRUNCATED'));
    expect(() => BrickManifest.decode(bytes)).toThrow(/claims 4294967295 bricks/);
  });

  it('never throws anything but its own errors on random corruption', () => {
    const random = new SeededRandom(3);
    const next = (): number => random.next();
    const bytes = sample();
    const foreign: unknown[] = [];
    let decoded = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const copy = bytes.slice();
      const flips = 1 + Math.floor(next() * 4);
      for (let f = 0; f < flips; f++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
      const cut = next() < 0.2 ? Math.floor(next() * copy.length) : copy.length;
      try {
        BrickManifest.decode(copy.subarray(0, cut));
        decoded++;
      } catch (error) {
        if ((error as Record<symbol, unknown>)[brand] !== true) foreign.push(error);
      }
    }
    expect(foreign).toEqual([]);
    expect(decoded).toBeGreaterThan(0); // flips of element numbers and digests still decode
  });
});
