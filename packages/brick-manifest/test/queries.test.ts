import { describe, expect, it } from 'vitest';
import { BrickManifest, bricksInRegion, orderFrontToBack } from '@statemesh/brick-manifest';

const brand = Symbol.for('@statemesh/error');
const statemeshError = (code: string) => expect.objectContaining({ name: 'StatemeshError', code, [brand]: true });
const grid3x3 = () => BrickManifest.forVolume([30, 30, 10], { brickDim: 10 });

describe('bricksInRegion', () => {
  it('selects the bricks a half-open box overlaps', () => {
    expect([...bricksInRegion(grid3x3(), [0, 0, 0], [30, 30, 10])]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...bricksInRegion(grid3x3(), [5, 5, 0], [15, 15, 1])]).toEqual([0, 1, 3, 4]);
    // [10, 20) × [10, 20) is exactly the centre brick: its neighbours only touch it.
    expect([...bricksInRegion(grid3x3(), [10, 10, 0], [20, 20, 10])]).toEqual([4]);
    expect([...bricksInRegion(grid3x3(), [30, 0, 0], [40, 30, 10])]).toEqual([]);
    expect([...bricksInRegion(grid3x3(), [12, 12, 5], [12, 12, 5])]).toEqual([]); // an empty box
    expect([...bricksInRegion(BrickManifest.fromBricks([]), [0, 0, 0], [1, 1, 1])]).toEqual([]);
  });

  it('accepts unbounded boxes and refuses malformed points', () => {
    expect(bricksInRegion(grid3x3(), [-Infinity, -Infinity, -Infinity], [Infinity, 10, Infinity])).toHaveLength(3);
    expect(() => bricksInRegion(grid3x3(), [0, 0] as unknown as [number, number, number], [1, 1, 1])).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => bricksInRegion(grid3x3(), [0, 0, Number.NaN], [1, 1, 1])).toThrow(statemeshError('INVALID_ARGUMENT'));
  });
});

describe('orderFrontToBack', () => {
  it('puts the nearest bricks first', () => {
    const manifest = grid3x3();
    // Eye left of the grid, level with the middle row: column 0 first (middle row nearest), then columns 1, 2.
    expect([...orderFrontToBack(manifest, [0, 1, 2, 3, 4, 5, 6, 7, 8], [-5, 15, 5])]).toEqual([3, 0, 6, 4, 1, 7, 5, 2, 8]);
    // Inside brick 4: it comes first.
    expect(orderFrontToBack(manifest, [8, 4, 0], [15, 15, 5])[0]).toBe(4);
    expect([...orderFrontToBack(manifest, [], [0, 0, 0])]).toEqual([]);
  });

  it('refuses indices that are not bricks of the manifest', () => {
    expect(() => orderFrontToBack(grid3x3(), [9], [0, 0, 0])).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => orderFrontToBack(grid3x3(), [0.5], [0, 0, 0])).toThrow(statemeshError('INVALID_ARGUMENT'));
  });
});
