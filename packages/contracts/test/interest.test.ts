import { mostSpecificPrefix, touchesAnySubtree, touchesSubtree } from '@statemesh/contracts';
import { describe, expect, it } from 'vitest';

describe('the interest and authority rule', () => {
  it('a write touches a subtree it is in, and a delete one under it (segment-aware)', () => {
    expect(touchesSubtree('scene.a', 'scene', false)).toBe(true);
    expect(touchesSubtree('scenery', 'scene', false)).toBe(false);
    expect(touchesSubtree('scene', 'scene.a', false)).toBe(false);
    expect(touchesSubtree('scene', 'scene.a', true)).toBe(true);
    expect(touchesAnySubtree('x', [], false)).toBe(true);
    expect(touchesAnySubtree('x.y', ['a', 'x'], false)).toBe(true);
  });

  it('mostSpecificPrefix: the longest prefix a path is under, in any order, or undefined', () => {
    const prefixes = ['scene.camera', '', 'scene', 'scenery'];
    expect(mostSpecificPrefix('scene.camera.fov', prefixes)).toBe('scene.camera');
    expect(mostSpecificPrefix('scene.light', prefixes)).toBe('scene');
    expect(mostSpecificPrefix('scenery.x', prefixes)).toBe('scenery');
    expect(mostSpecificPrefix('tools', prefixes)).toBe('');
    expect(mostSpecificPrefix('tools', ['scene'])).toBeUndefined();
    expect(mostSpecificPrefix('scene', ['scene.camera'])).toBeUndefined();
  });
});
