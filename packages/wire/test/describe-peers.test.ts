import { describe, expect, it } from 'vitest';
import { Liveness, describePeers, type DescribedConnection } from '@statemesh/wire';

describe('describePeers', () => {
  it('lists every peer with its heartbeat state, silence, version and address', () => {
    const quiet = new Liveness(100, 1_000);
    expect(quiet.check(1_300)).toBe('suspect');
    const peers = new Map<string, DescribedConnection>([
      ['a', { liveness: new Liveness(100, 1_250), version: 1, address: '/tmp/a.sock' }],
      ['b', { liveness: quiet, version: 2, address: 'tcp://127.0.0.1:7000' }],
    ]);
    expect(describePeers(peers, 1_300)).toEqual([
      { node: 'a', state: 'up', lastSeenMs: 50, protocolVersion: 1, address: '/tmp/a.sock' },
      { node: 'b', state: 'suspect', lastSeenMs: 300, protocolVersion: 2, address: 'tcp://127.0.0.1:7000' },
    ]);
  });

  it('never reports a negative silence (a clock read before the last receive)', () => {
    const peers = new Map<string, DescribedConnection>([['a', { liveness: new Liveness(100, 2_000), version: 1, address: 'x' }]]);
    expect(describePeers(peers, 1_990)[0]!.lastSeenMs).toBe(0);
  });
});
