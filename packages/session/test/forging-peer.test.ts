// Issue 13, finding 3, over a real socket: a peer that sends writes under the victim's own origin (seq 2^53 - 1
// among them) neither crashes it, nor advances its counter, nor keeps it from restarting with its mark.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type { Mutation, PeerEvent, TransportHost } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import { join } from '@statemesh/session';
import { ipcTransport } from '@statemesh/transport-ipc';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './cluster.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('a forging peer', () => {
  it('cannot crash the victim, advance its counter, or keep it from restarting', async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-forge-'));
    const config = { clusterId: 'forge', nodeId: 'victim', listen: joinPath(dir, 'victim.sock'), blobStorePath: joinPath(dir, 'blobs'), heartbeatIntervalMs: 100 };
    const lines: string[] = [];
    const victim = await join(config, { log: (line) => lines.push(line) });
    const own = victim.set('mine', 1);

    const events: PeerEvent[] = [];
    const host: TransportHost = {
      hello: () => ({ vector: {} }),
      onMutations: () => undefined,
      onPeerEvent: (event) => events.push(event),
      readChunk: () => Promise.resolve(undefined),
      snapshot: async function* () {
        yield { entries: [], last: true, vector: {} };
      },
    };
    const mallory = ipcTransport({ nodeId: 'mallory', clusterId: 'forge', seeds: [config.listen], heartbeatIntervalMs: 100 });
    try {
      await mallory.start(host);
      await waitFor('mallory connected', () => events.some((e) => e.type === 'up'));
      const forged = (seq: number): Mutation => ({
        origin: own.origin,
        seq,
        hlc: pack({ wallMs: Date.now(), logical: 0 }),
        path: 'mine',
        op: 'set',
        type: 'json',
        payload: new TextEncoder().encode('666'),
      });
      mallory.publish([forged(Number.MAX_SAFE_INTEGER), forged(2)]);
      mallory.publish([forged(3)]);
      await waitFor('the victim to refuse three writes', () => victim.metrics().remote.rejected >= 3);
    } finally {
      await mallory.close();
    }
    expect(victim.running).toBe(true);
    expect(victim.get('mine')?.value).toBe(1);
    expect(victim.status().localSequence).toBe(1);
    expect(victim.set('next', 2)).toMatchObject({ origin: own.origin, seq: 2 });
    expect(lines.filter((line) => line.includes("claims this node's own origin") && line.includes('further such writes'))).toHaveLength(1);
    await victim.close();

    // Its mark holds 2, not 2^53 - 1: it restarts under the same origin and goes on.
    const again = await join(config, { log: () => undefined });
    expect(again.set('after', 3)).toMatchObject({ origin: own.origin, seq: 3 });
    await again.close();
  }, 30_000);
});
