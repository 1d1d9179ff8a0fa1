import { describe, expect, it } from 'vitest';
import { ERROR_CODES, StatemeshError, isStatemeshError } from '@statemesh/contracts';

describe('StatemeshError', () => {
  it('carries a stable code, the cause and details', () => {
    const cause = new Error('disk full');
    const error = new StatemeshError('IO_ERROR', '@statemesh/x: could not write', { cause, details: { path: '/tmp/a' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StatemeshError');
    expect(error.code).toBe('IO_ERROR');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ path: '/tmp/a' });
    expect(ERROR_CODES).toContain(error.code);
  });

  it('is recognised by its brand, also when it comes from another installed copy', () => {
    // What a second copy of the package produces: a different class, the same global brand.
    const foreign = Object.assign(new Error('from another copy'), { code: 'TIMEOUT', [Symbol.for('@statemesh/error')]: true });
    expect(isStatemeshError(foreign)).toBe(true);
    expect(isStatemeshError(foreign, 'TIMEOUT')).toBe(true);
    expect(isStatemeshError(foreign, 'CLOSED')).toBe(false);
  });

  it('does not mistake other errors and values for its own', () => {
    for (const value of [new Error('x'), Object.assign(new Error('x'), { code: 'TIMEOUT' }), null, undefined, 'TIMEOUT', 42]) {
      expect(isStatemeshError(value)).toBe(false);
    }
  });
});
