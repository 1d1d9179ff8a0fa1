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

describe('ProtocolTransport clock skew', () => {
  it('reports a peer whose clock is 5 s ahead once, after a few heartbeats, with the skew in peers()', async () => {
    const timers = new ManualTimers();
    const ahead = { now: () => timers.now(), wallNow: () => timers.wallNow() + 5_000, setTimeout: timers.setTimeout.bind(timers), clearTimeout: timers.clearTimeout.bind(timers) };
    const endpoint = pairEndpoint('pair://a');
    const reports: string[] = [];
    const a = new ProtocolTransport({ nodeId: 'a', clusterId: 'c', listeners: [endpoint.listener], timers, heartbeatIntervalMs: 100, onError: (e) => reports.push(e.code) });
    const b = new ProtocolTransport({ nodeId: 'b', clusterId: 'c', dialers: [endpoint.dialer], timers: ahead, heartbeatIntervalMs: 100, onError: () => undefined });
    engines.push(a, b);
    await a.start(new RecordingHost());
    await b.start(new RecordingHost());
    await timers.advance(150); // one heartbeat: not enough to judge a clock
    expect(reports.filter((code) => code === 'CLOCK_DRIFT')).toEqual([]);
    await timers.advance(1_000);
    expect(reports.filter((code) => code === 'CLOCK_DRIFT')).toEqual(['CLOCK_DRIFT']); // once, not per heartbeat
    expect(a.peers()[0]?.clockSkewMs).toBe(5_000);
  });
});

describe('ProtocolTransport refusals', () => {
  it('reports a cluster mismatch once per peer on each side, naming both ids, however often the seed redials', async () => {
    const timers = new ManualTimers();
    const endpoint = pairEndpoint('pair://a');
    const errorsA: string[] = [];
    const errorsB: string[] = [];
    const a = new ProtocolTransport({ nodeId: 'a', clusterId: 'ours', listeners: [endpoint.listener], timers, onError: (e) => errorsA.push(`${e.code} ${e.message}`) });
    const b = new ProtocolTransport({ nodeId: 'b', clusterId: 'theirs', dialers: [endpoint.dialer], timers, reconnect: { initialMs: 50, maxMs: 200 }, onError: (e) => errorsB.push(`${e.code} ${e.message}`) });
    engines.push(a, b);
    await a.start(new RecordingHost());
    await b.start(new RecordingHost());
    for (let i = 0; i < 100; i++) await timers.advance(100);
    expect(endpoint.links.length).toBeGreaterThan(3); // the seed kept redialling
    const mismatchesA = errorsA.filter((line) => line.startsWith('CLUSTER_MISMATCH'));
    const mismatchesB = errorsB.filter((line) => line.startsWith('CLUSTER_MISMATCH'));
    expect(mismatchesA).toHaveLength(1);
    expect(mismatchesB).toHaveLength(1);
    for (const line of [...mismatchesA, ...mismatchesB]) {
      expect(line).toMatch(/\bours\b/);
      expect(line).toMatch(/\btheirs\b/);
      expect(line).toMatch(/node a\b/);
      expect(line).toMatch(/node b\b/);
    }
    expect(a.peers()).toEqual([]);
  });
});

describe('ProtocolTransport acknowledgements of large values held', () => {
  it('lists each digest the host stored once per link in its next Ack, and hands those of a peer to onBlobsHeld', async () => {
    const timers = new ManualTimers();
    const { a, b, hostA, hostB } = await pair(timers, { a: 100, b: 100 });
    const stored: string[] = [];
    const told: { from: string; digests: readonly string[] }[] = [];
    Object.assign(hostB, { heldBlobs: (mark: number, max: number) => ({ mark: Math.min(stored.length, mark + max), digests: stored.slice(mark, mark + max) }) });
    Object.assign(hostA, { onBlobsHeld: (digests: readonly string[], from: string) => told.push({ from, digests }) });
    await timers.advance(250);
    expect(told).toEqual([]); // nothing stored: the vector did not change, no Ack
    stored.push('ab'.repeat(32), 'cd'.repeat(32));
    await timers.advance(150); // the next heartbeat tick acknowledges
    expect(told).toEqual([{ from: 'b', digests: ['ab'.repeat(32), 'cd'.repeat(32)] }]);
    await timers.advance(500);
    expect(told).toHaveLength(1); // each listed once
    stored.push('ef'.repeat(32));
    await timers.advance(150);
    expect(told.at(-1)).toEqual({ from: 'b', digests: ['ef'.repeat(32)] });
    expect(a.peers()[0]?.node).toBe('b');
    await Promise.all([a.close(), b.close()]);
  });
});
