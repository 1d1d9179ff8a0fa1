import { describe, expect, it } from 'vitest';
import { assertId, assertPath, isStatemeshError, isUnder, isUnderAny, isValidPath, joinPath, parsePath } from '@statemesh/contracts';

describe('paths', () => {
  it('accepts dot-separated segments and the empty root', () => {
    expect(isValidPath('')).toBe(true);
    expect(isValidPath('scene.camera.fov')).toBe(true);
    expect(isValidPath('a_b-C.9')).toBe(true);
    expect(parsePath('scene.camera.fov')).toEqual(['scene', 'camera', 'fov']);
    expect(parsePath('')).toEqual([]);
  });

  it('rejects empty segments, bad characters, long segments and long paths with INVALID_PATH', () => {
    for (const bad of ['.a', 'a.', 'a..b', 'a b', 'a/b', 'ü', 'x'.repeat(129), `${'abcdefgh.'.repeat(114)}x`, 42, null]) {
      expect(isValidPath(bad)).toBe(false);
      const error = captureError(() => assertPath(bad));
      expect(isStatemeshError(error, 'INVALID_PATH')).toBe(true);
      expect((error as Error).message).toMatch(/^@statemesh\/contracts: path .* is not a valid path/);
    }
    expect(isValidPath('x'.repeat(128))).toBe(true);
  });

  it('matches prefixes by whole segments', () => {
    expect(isUnder('scene', 'scene')).toBe(true);
    expect(isUnder('scene.x', 'scene')).toBe(true);
    expect(isUnder('scenery', 'scene')).toBe(false);
    expect(isUnder('scen', 'scene')).toBe(false);
    expect(isUnder('anything', '')).toBe(true);
    expect(isUnderAny('scene.x', [])).toBe(true);
    expect(isUnderAny('scenery', ['scene', 'other'])).toBe(false);
    expect(isUnderAny('other.y', ['scene', 'other'])).toBe(true);
  });

  it('joins validated segments', () => {
    expect(joinPath('scene', 'camera')).toBe('scene.camera');
    expect(() => joinPath('scene', 'a.b')).toThrow(/segment "a.b" is not valid/);
  });

  it('validates ids', () => {
    expect(assertId('node-1')).toBe('node-1');
    expect(() => assertId('', 'nodeId')).toThrow(/nodeId "" is not valid/);
    expect(() => assertId('x'.repeat(65), 'clusterId')).toThrow(/clusterId/);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
