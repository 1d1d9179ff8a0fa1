import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { RecordingHost } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { ManualTimers } from './fixtures/manual-timers.ts';
import { pairEndpoint } from './fixtures/pair-link.ts';

let engines: ProtocolTransport[] = [];
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
});

async function pair(timers: ManualTimers, heartbeats: { a: number; b: number }) {
  const endpoint = pairEndpoint('pair://a');
  const a = new ProtocolTransport({ nodeId: 'a', clusterId: 'c', listeners: [endpoint.listener], timers, heartbeatIntervalMs: heartbeats.a, onError: () => undefined });
  const b = new ProtocolTransport({ nodeId: 'b', clusterId: 'c', dialers: [endpoint.dialer], timers, heartbeatIntervalMs: heartbeats.b, onError: () => undefined });
  engines.push(a, b);
  const hostA = new RecordingHost();
  const hostB = new RecordingHost();
  await a.start(hostA);
  await b.start(hostB);
  await timers.advance(0);
  expect(hostA.upPeers()).toEqual(['b']);
  return { a, b, hostA, hostB, link: endpoint.links[0]! };
}

describe('ProtocolTransport on injected timers', () => {
  it('runs heartbeats, suspect, dead and the redial on virtual time, judging silence by the interval the peer announced', async () => {
    const timers = new ManualTimers();
    const { a, hostA, link } = await pair(timers, { a: 100, b: 1_000 });
    link.muted = true; // b hangs: its link stays open, nothing more arrives from it
    await timers.advance(2_900);
    // a ticks every 100 ms, but judges b by b's own 1 000 ms: not suspect before 3 000 ms of silence.
    expect(hostA.eventsFor('b').map((e) => e.type)).toEqual(['up']);
    await timers.advance(200);
    expect(hostA.eventsFor('b').map((e) => e.type)).toEqual(['up', 'suspect']);
    await timers.advance(2_000);
    expect(hostA.eventsFor('b').map((e) => e.type).slice(0, 3)).toEqual(['up', 'suspect', 'down']);
    // b's dialer redials after its backoff, on the same virtual time, over a new (unmuted) link.
    await timers.advance(10_000);
    expect(hostA.eventsFor('b').map((e) => e.type)).toEqual(['up', 'suspect', 'down', 'up']);
    expect(a.peers().map((p) => p.node)).toEqual(['b']);
  });

  it('times out a chunk fetch on virtual time', async () => {
    const timers = new ManualTimers();
    const { a, hostB } = await pair(timers, { a: 1_000, b: 1_000 });
    const digest = 'ab'.repeat(32);
    hostB.stallChunk(digest);
    let outcome = 'pending';
    a.fetchChunk(digest, { timeoutMs: 5_000 }).then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = isStatemeshError(error) ? error.code : String(error)),
    );
    await timers.advance(4_999);
    expect(outcome).toBe('pending');
    await timers.advance(1);
    expect(outcome).toBe('TIMEOUT');
  });

  it('reports the peer clock skew from heartbeats, and leaves no timer set after close', async () => {
    const timers = new ManualTimers();
    const { a, b } = await pair(timers, { a: 100, b: 100 });
    await timers.advance(150);
    expect(a.peers()[0]?.clockSkewMs).toBe(0); // one virtual wall clock, no transit time
    await Promise.all([a.close(), b.close()]);
    await timers.advance(0);
    expect(timers.size).toBe(0);
  });
});
