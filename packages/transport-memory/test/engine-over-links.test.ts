// The protocol engine over memory links on virtual time: a crash is seen at once, a restart comes back, and the
// same seed gives the same run of the whole engine.
import type { Mutation, PeerEvent } from '@statemesh/contracts';
import { RecordingHost } from '@statemesh/contracts/testing';
import { VirtualScheduler } from '@statemesh/protocol';
import { MemoryNetwork } from '@statemesh/transport-memory';
import { describe, expect, it } from 'vitest';

const mutation = (seq: number): Mutation => ({ origin: 'a', seq, hlc: BigInt(seq) << 16n, path: `s.k${seq}`, op: 'set', type: 'json', payload: Uint8Array.of(seq & 255) });

async function cluster(seed: number) {
  const scheduler = new VirtualScheduler();
  const network = new MemoryNetwork({ seed, scheduler, faults: { drop: 0.1, duplicate: 0.1, reorder: 0.2, delayMs: [1, 5] } });
  const start = async (id: string, seeds: string[]) => {
    const transport = network.createTransport({ nodeId: id, clusterId: 'sim', seeds, heartbeatIntervalMs: 100, onError: () => {} });
    const host = new RecordingHost();
    await transport.start(host);
    return { transport, host };
  };
  return { scheduler, network, start };
}

describe('the engine over memory links', () => {
  it('a crash is reported down at once, without waiting for heartbeats; the restarted node comes back up', async () => {
    const { scheduler, network, start } = await cluster(1);
    const a = await start('a', []);
    const b = await start('b', ['a']);
    await scheduler.advance(50);
    expect(b.host.upPeers()).toEqual(['a']);
    network.crash('a');
    await scheduler.advance(1); // far below the 5 heartbeat intervals a silent peer takes
    expect(b.host.eventsFor('a').map((e: PeerEvent) => e.type)).toEqual(['up', 'down']);
    const closing = a.transport.close();
    await scheduler.advance(10);
    await closing;
    const again = await start('a', []);
    await scheduler.advance(2_000); // b redials with backoff
    expect(b.host.eventsFor('a').at(-1)?.type).toBe('up');
    const done = Promise.all([again.transport.close(), b.transport.close()]);
    await scheduler.advance(10);
    await done;
  });

  it('the same seed gives the same run of the engine, faults and redial jitter included', async () => {
    const run = async (seed: number) => {
      const { scheduler, network, start } = await cluster(seed);
      const a = await start('a', []);
      const b = await start('b', ['a']);
      await scheduler.advance(20);
      for (let seq = 1; seq <= 200; seq++) {
        a.transport.publish([mutation(seq)]);
        if (seq === 50) network.partition(['a'], ['b']);
        if (seq === 150) network.heal();
        await scheduler.advance(7);
      }
      await scheduler.advance(3_000);
      const done = Promise.all([a.transport.close(), b.transport.close()]);
      await scheduler.advance(10);
      await done;
      return { seqs: b.host.mutations('a').map((m) => m.seq), events: b.host.eventsFor('a').map((e) => e.type), stats: network.faultStats() };
    };
    const first = await run(5);
    expect(first.events).toContain('down'); // the partition (700 ms) outlasted 5 heartbeat intervals
    expect(await run(5)).toEqual(first);
    expect(await run(6)).not.toEqual(first);
  });
});
