// A 3-server NATS cluster, 30 statemesh nodes, one server killed mid-run (short; the long run is scripts/nats-cluster.ts).
import { describe, expect, it } from 'vitest';
import { runNatsCluster } from './nats-cluster-run.ts';

describe('NATS cluster', () => {
  it('30 nodes over 3 routed servers: one server killed, its nodes reconnect, no acknowledged write is lost', { timeout: 120_000 }, async () => {
    const result = await runNatsCluster({ nodes: 30, rounds: 2, writesPerRound: 10, convergeTimeoutMs: 40_000 });
    expect(result.written).toBe(30 * 4 * 10);
    expect(result.acknowledged).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.digests).toBe(1);
    expect(result.reconnectedNodes).toBe(10);
  });
});
