// Issue 13, finding 4, through the shipped engine and codec: after a healed partition the node whose write lost
// records the conflict once (conflicts.lost), and the node that held the winner records it once too.
import { MemoryNetwork } from '@statemesh/transport-memory';
import { join, type Session } from '@statemesh/session';
import { afterEach, describe, expect, it } from 'vitest';
import { converged, waitFor } from './cluster.ts';

const sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()));
});

describe('a conflict across a healed partition', () => {
  it('is recorded once on each side, the losing side counting it lost', async () => {
    const network = new MemoryNetwork();
    const start = async (id: string, seeds: string[]) => {
      const session = await join(
        { clusterId: 'heal', nodeId: id, transport: 'memory', network, seeds, heartbeatIntervalMs: 50, antiEntropyIntervalMs: 200, joinTimeoutMs: 500 },
        { log: () => undefined },
      );
      sessions.push(session);
      return session;
    };
    const a = await start('a', []);
    const b = await start('b', ['a']);
    await waitFor('a and b connected', () => a.status().peerCount === 1 && b.status().peerCount === 1);

    network.partition(['a'], ['b']);
    await waitFor('the partition noticed', () => a.status().peerCount === 0 && b.status().peerCount === 0);
    a.set('scene.light', 'red');
    await new Promise((resolve) => setTimeout(resolve, 5)); // b's write is later: b wins
    b.set('scene.light', 'blue');
    // Both pumps run while the partition holds, so the writes can cross only by catch-up once it heals.
    const pumps = [a.status().pumpCycles + 2, b.status().pumpCycles + 2];
    await waitFor('two pump cycles on each side', () => a.status().pumpCycles >= pumps[0]! && b.status().pumpCycles >= pumps[1]!);
    expect(a.get('scene.light')?.value).toBe('red');
    network.heal();

    await converged([a, b]);
    expect(a.get('scene.light')?.value).toBe('blue');
    await waitFor('both sides to record the conflict', () => a.metrics().conflicts.detected > 0 && b.metrics().conflicts.detected > 0);
    // Let anti-entropy run a few more rounds: no second record of the same conflict.
    const rounds = a.metrics().catchUps.completed + 3;
    await waitFor('three more catch-ups', () => a.metrics().catchUps.completed >= rounds);
    for (const [side, lost] of [[a, 1], [b, 0]] as const) {
      expect(side.metrics().conflicts).toMatchObject({ detected: 1, lost });
      expect(side.recentConflicts()).toHaveLength(1);
      expect(side.recentConflicts()[0]).toMatchObject({ path: 'scene.light', winner: { origin: b.get('scene.light')!.version.origin } });
    }
  }, 30_000);
});
