// A node learns whom its peers are linked to from their heartbeats (PROTOCOL.md, Heartbeat `links`): three
// engines in a line, c dials b and b dials a, on virtual time.
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingHost } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { ManualTimers } from './fixtures/manual-timers.ts';
import { pairEndpoint } from './fixtures/pair-link.ts';

let engines: ProtocolTransport[] = [];
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
});

describe('announced links', () => {
  it('a sees b linked to c, and no longer once c leaves', async () => {
    const timers = new ManualTimers();
    const toA = pairEndpoint('pair://a');
    const toB = pairEndpoint('pair://b');
    const options = { clusterId: 'c', timers, heartbeatIntervalMs: 100, onError: () => undefined };
    const a = new ProtocolTransport({ ...options, nodeId: 'a', listeners: [toA.listener] });
    const b = new ProtocolTransport({ ...options, nodeId: 'b', listeners: [toB.listener], dialers: [toA.dialer] });
    const c = new ProtocolTransport({ ...options, nodeId: 'c', dialers: [toB.dialer] });
    engines.push(a, b, c);
    for (const engine of [a, b, c]) await engine.start(new RecordingHost());
    await timers.advance(0);
    expect(a.peers()[0]).toMatchObject({ node: 'b', links: undefined }); // no heartbeat yet: nothing announced
    await timers.advance(100);
    expect(a.peers()).toEqual([expect.objectContaining({ node: 'b', links: ['a', 'c'], linkCount: undefined })]);
    expect(c.peers()).toEqual([expect.objectContaining({ node: 'b', links: ['a', 'c'] })]);
    expect(b.peers().map((p) => [p.node, p.links])).toEqual([['a', ['b']], ['c', ['b']]]);
    await c.close();
    await timers.advance(100);
    expect(a.peers()).toEqual([expect.objectContaining({ node: 'b', links: ['a'] })]);
  });
});
