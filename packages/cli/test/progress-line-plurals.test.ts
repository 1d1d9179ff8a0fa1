import { describe, expect, it } from 'vitest';
import { progressLine } from '../src/node-command.ts';

describe('the progress line of `statemesh node` counts in good English', () => {
  it('says 1 entry in 1 page', () => {
    expect(progressLine({ catchUps: [{ peer: 'a', pages: 1, entries: 1, elapsedMs: 200 }], hydrations: [] })).toBe('catching up from a: 1 entry in 1 page (0.2 s)');
  });
});
