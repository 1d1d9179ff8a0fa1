import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@statemesh/protocol';

describe('SeededRandom', () => {
  it('repeats its sequence for a seed, in [0, 1)', () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 1000 }, () => random.next());
    };
    const first = draw(42);
    expect(draw(42)).toEqual(first);
    expect(draw(43)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = first.reduce((sum, x) => sum + x, 0) / first.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('chance(0) and chance(1) are certain; between stays in range', () => {
    const random = new SeededRandom(1);
    expect(random.chance(0)).toBe(false);
    expect(random.chance(1)).toBe(true);
    for (let i = 0; i < 100; i++) {
      const x = random.between(3, 7);
      expect(x >= 3 && x <= 7).toBe(true);
    }
    expect(random.between(5, 5)).toBe(5);
  });
});
