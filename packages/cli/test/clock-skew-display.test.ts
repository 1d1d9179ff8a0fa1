// Issue 13, finding 2: a peer's clock skew as the CLI prints it and as /metrics exposes it (a skew of an hour
// cannot be made between processes of one machine, so the formatting is checked here from a status).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatPrometheus, formatSkew } from '@statemesh/cli';
import type { SessionMetrics, SessionStatus } from '@statemesh/session';

describe('clock skew on display', () => {
  it('formatSkew says how far and which way', () => {
    expect(formatSkew(0)).toBe('0 ms');
    expect(formatSkew(0.3)).toBe('0 ms');
    expect(formatSkew(350)).toBe('+350 ms ahead');
    expect(formatSkew(-350)).toBe('-350 ms behind');
    expect(formatSkew(-3_600_000)).toBe('-3600.0 s behind');
    expect(formatSkew(1234)).toBe('+1.2 s ahead');
  });

  it('/metrics: one gauge sample per peer whose skew is known, none before', () => {
    const status: SessionStatus = {
      running: true, nodeId: 'n', clusterId: 'c', peerCount: 2, localSequence: 0, pumpCycles: 0, pendingHydrations: 0, conflicts: 0,
      peers: [
        { node: 'late', state: 'up', lastSeenMs: 5, lagSeq: 0, clockSkewMs: -3_600_000 },
        { node: 'new', state: 'up', lastSeenMs: 5, lagSeq: 0 },
      ],
    };
    const metrics: SessionMetrics = {
      remote: { applied: 0, duplicates: 0, stale: 0, rejected: 0 },
      conflicts: { detected: 0, lost: 0, recent: [] },
      transport: { published: 0, delivered: 0, peers: 2, badFrames: 0, authFailures: 0, slowPeerDisconnects: 0 },
      catchUps: { completed: 0, failed: 0, interrupted: 0 },
      hydrations: { completed: 0, failed: 0, retried: 0, pending: 0 },
      pumpCycles: 0, localSequence: 0, entries: 0, tombstones: 0,
    };
    const text = formatPrometheus(status, metrics);
    expect(text).toMatch(/^statemesh_peer_clock_skew_seconds\{node="n",cluster="c",peer="late"\} -3600$/m);
    expect(text).not.toMatch(/^statemesh_peer_clock_skew_seconds\{[^}]*peer="new"/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
