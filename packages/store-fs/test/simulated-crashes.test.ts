import { describe, expect, it } from 'vitest';
import { checkMutation, type CheckedMutation } from '@statemesh/contracts';
import { MemoryDisk, MemoryReplicaStore } from '@statemesh/store-fs';
import { seededRandom } from './seeded-random.ts';

const ME = { clusterId: 'sim', nodeId: 'me' };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function write(seq: number, path: string): CheckedMutation {
  return checkMutation({ origin: 'me', seq, hlc: BigInt(seq), path, op: 'set', type: 'json', payload: new TextEncoder().encode(String(seq)) });
}

describe('crashes with torn writes on a virtual disk', () => {
  let tornOpens = 0;
  let snapshotsTaken = 0;
  it.each(Array.from({ length: 25 }, (_, i) => i + 1))('seed %i: five lives, each ended by a crash mid-burst; no acknowledged write is lost', async (seed) => {
    const disk = new MemoryDisk({ seed });
    const random = seededRandom(seed * 7919);
    /** Per path, the highest seq whose commit resolved. */
    const acknowledged = new Map<string, number>();
    let seq = 0;
    for (let life = 1; life <= 5; life++) {
      const store = new MemoryReplicaStore({ disk, snapshotAfterBytes: 1024 + random(4096), log: () => undefined });
      const recovered = await store.open(ME);
      expect(recovered.incarnation).toBe(life);
      if (recovered.truncatedBytes > 0) tornOpens++;
      const winners = new Map(recovered.entries.map((e) => [e.path, e.version.seq]));
      for (const [path, acked] of acknowledged) expect(winners.get(path) ?? 0, `${path}@${acked} lost before life ${life}`).toBeGreaterThanOrEqual(acked);
      for (const acked of acknowledged.values()) expect(recovered.lastSequence).toBeGreaterThanOrEqual(acked);
      seq = recovered.lastSequence;
      const written: [string, number][] = [];
      const settled: Promise<void>[] = [];
      const ops = 20 + random(200);
      for (let op = 0; op < ops; op++) {
        const roll = random(20);
        if (roll < 14) {
          seq++;
          const path = `k${random(30)}`;
          store.append({ kind: 'local', mutations: [write(seq, path)] });
          written.push([path, seq]);
        } else if (roll < 18) {
          const covered = written.slice();
          settled.push(
            store.commit().then(
              () => {
                for (const [path, s] of covered) if ((acknowledged.get(path) ?? 0) < s) acknowledged.set(path, s);
              },
              () => undefined, // the crash came first: not acknowledged
            ),
          );
        } else if (roll < 19) {
          settled.push(store.snapshot().catch(() => undefined));
        } else {
          await tick();
        }
      }
      // Let some of the last commits land, or not, then the crash.
      for (let i = random(4); i > 0; i--) await tick();
      snapshotsTaken += store.stats().snapshots;
      disk.crash({ tear: true }); // the machine goes down, in the middle of whatever the store was writing
      await store.abandon();
      await Promise.all(settled);
    }
    const last = new MemoryReplicaStore({ disk });
    const recovered = await last.open(ME);
    const winners = new Map(recovered.entries.map((e) => [e.path, e.version.seq]));
    for (const [path, acked] of acknowledged) expect(winners.get(path) ?? 0).toBeGreaterThanOrEqual(acked);
    expect(acknowledged.size).toBeGreaterThan(0);
    await last.close();
  });

  it('those runs did tear tails and take snapshots (so the cases above were exercised)', () => {
    expect(tornOpens).toBeGreaterThan(10);
    expect(snapshotsTaken).toBeGreaterThan(10);
  });
});
