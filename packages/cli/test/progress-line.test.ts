import { describe, expect, it } from 'vitest';
import { progressLine } from '../src/node-command.ts';

describe('the progress line of `statemesh node`', () => {
  it('is absent when nothing is under way', () => {
    expect(progressLine({ catchUps: [], hydrations: [] })).toBeUndefined();
    expect(progressLine({ catchUps: [], hydrations: [{ path: 'v', state: 'ready', size: 10, chunks: 1, fetched: 1 }] })).toBeUndefined();
  });

  it('shows entries received by a catch-up and chunks fetched of a large value', () => {
    const line = progressLine({
      catchUps: [{ peer: 'a', pages: 12, entries: 12_000, elapsedMs: 1500 }],
      hydrations: [
        { path: 'volume.density', state: 'pending', size: 50 * 1024 * 1024, chunks: 50, fetched: 20 },
        { path: 'mesh', state: 'pending', size: 2048, chunks: 0, fetched: 0 },
      ],
    });
    expect(line).toBe(
      'catching up from a: 12,000 entries in 12 pages (1.5 s); fetching volume.density (50.0 MiB): 20/50 chunks, 40%; fetching mesh (2.0 KiB): manifest',
    );
  });
});
