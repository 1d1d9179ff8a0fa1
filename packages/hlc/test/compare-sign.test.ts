// compare() answers exactly -1, 0 or 1, in its type as in its values.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { compare } from '@statemesh/hlc';

describe('compare returns -1 | 0 | 1', () => {
  it('is typed -1 | 0 | 1', () => {
    expectTypeOf(compare).returns.toEqualTypeOf<-1 | 0 | 1>();
  });

  it('gives -1 or 1 however far apart the times are, and 0 for equal ones', () => {
    expect(compare({ wallMs: 1, logical: 0 }, { wallMs: 1_000_000, logical: 0 })).toBe(-1);
    expect(compare({ wallMs: 7, logical: 900 }, { wallMs: 7, logical: 3 })).toBe(1);
    expect(compare({ wallMs: 7, logical: 3 }, { wallMs: 7, logical: 3 })).toBe(0);
  });
});
