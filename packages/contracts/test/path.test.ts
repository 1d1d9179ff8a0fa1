import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

describe('isValidPath, the one-pass check', () => {
  it('agrees with the path pattern on random strings of path-like characters (10 000 runs)', () => {
    const pattern = /^[A-Za-z0-9_-]{1,128}(?:\.[A-Za-z0-9_-]{1,128})*$/;
    const char = fc.constantFrom('a', 'Z', '0', '9', '_', '-', '.', '.', ' ', '/', 'é', '~');
    const text = fc.oneof(fc.array(char, { maxLength: 12 }).map((chars) => chars.join('')), fc.string());
    fc.assert(fc.property(text, (path) => isValidPath(path) === (path === '' || (path.length <= 1024 && pattern.test(path)))), { numRuns: 10_000 });
    expect(isValidPath('a'.repeat(128))).toBe(true);
    expect(isValidPath('a'.repeat(129))).toBe(false);
    expect(isValidPath(`${'a'.repeat(128)}.${'b'.repeat(128)}`)).toBe(true);
    expect(isValidPath(Array.from({ length: 205 }, () => 'abcd').join('.'))).toBe(true); // 1 024 characters
    expect(isValidPath(Array.from({ length: 206 }, () => 'abcd').join('.'))).toBe(false); // 1 029
  });
});
