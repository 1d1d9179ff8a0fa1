// Memory links on virtual time, without an engine: framing, back-pressure, closing, faults, partitions, crashes.
import type { Link, LinkFrame, StatemeshError, Timers } from '@statemesh/contracts';
import { isStatemeshError } from '@statemesh/contracts';
import { VirtualScheduler } from '@statemesh/protocol';
import { MemoryNetwork, type LinkFaults } from '@statemesh/transport-memory';
import { describe, expect, it } from 'vitest';

interface End {
  readonly link: Link;
  readonly frames: LinkFrame[];
  drains: number;
  closed: { reason: string; error?: StatemeshError | undefined } | undefined;
}

function record(link: Link): End {
  const end: End = { link, frames: [], drains: 0, closed: undefined };
  link.open({ frame: (f) => end.frames.push(f), drain: () => end.drains++, closed: (reason, error) => (end.closed = { reason, error }) });
  return end;
}

/** A network on virtual time with one link from `a` to `b`. */
async function linked(options: { seed?: number; faults?: LinkFaults; highWaterMarkBytes?: number } = {}) {
  const scheduler = new VirtualScheduler();
  const network = new MemoryNetwork({ ...options, scheduler });
  const accepted: End[] = [];
  const listener = network.listener('b');
  await listener.start((link) => accepted.push(record(link)));
  const a = record(await network.dialer('a', 'b').dial());
  const b = accepted[0]!;
  return { scheduler, network, listener, a, b };
}

const frame = (kind: number, size: number, fill = 0): LinkFrame => ({ kind, version: 1, body: new Uint8Array(size).fill(fill) });

describe('memory links', () => {
  it('carry frames both ways after a delay, as copies, kind, version and body intact', async () => {
    const { scheduler, a, b } = await linked({ faults: { delayMs: 5 } });
    const sent = frame(99, 10, 7);
    a.link.send(sent);
    b.link.send(frame(1, 3));
    sent.body.fill(0); // the sender may reuse its buffer at once
    await scheduler.advance(4);
    expect(b.frames).toHaveLength(0);
    await scheduler.advance(1);
    expect(b.frames).toEqual([frame(99, 10, 7)]);
    expect(a.frames).toEqual([frame(1, 3)]);
    expect([a.link.dialed, b.link.dialed, a.link.remoteAddress, b.link.remoteAddress]).toEqual([true, false, 'memory://b', 'memory://a']);
  });

  it('enforce maxFrameBytes at the reader: a longer frame closes the link with FRAME_TOO_LARGE', async () => {
    const { scheduler, a, b } = await linked();
    b.link.maxFrameBytes = 100;
    a.link.send(frame(2, 100));
    a.link.send(frame(2, 101));
    await scheduler.advance(1);
    expect(b.frames).toHaveLength(1);
    expect(isStatemeshError(b.closed?.error, 'FRAME_TOO_LARGE')).toBe(true);
    expect(a.closed).toBeDefined();
  });

  it('return false past the high-water mark, then drain once delivered', async () => {
    const { scheduler, a, b } = await linked({ highWaterMarkBytes: 1000, faults: { delayMs: 1 } });
    b.link.maxFrameBytes = 10_000;
    expect(a.link.send(frame(2, 500))).toBe(true);
    expect(a.link.send(frame(2, 500))).toBe(false);
    expect(a.link.bufferedBytes).toBe(1024);
    await scheduler.advance(1);
    expect(a.drains).toBe(1);
    expect(a.link.bufferedBytes).toBe(0);
    expect(b.frames).toHaveLength(2);
  });

  it('end() delivers what was queued, then both ends close; nothing is sent after', async () => {
    const { scheduler, a, b } = await linked({ faults: { delayMs: 3 } });
    a.link.send(frame(8, 4));
    a.link.end('bye');
    expect(a.link.send(frame(7, 1))).toBe(false);
    await scheduler.advance(3);
    expect(b.frames).toEqual([frame(8, 4)]);
    await scheduler.advance(1);
    expect(b.closed?.reason).toBe('the other side closed the link');
    expect(a.closed).toBeUndefined(); // until b's own marker comes back
    await scheduler.advance(3);
    expect(a.closed?.reason).toBe('bye');
  });

  it('what the other end sent before the close marker reached it still arrives, as after a FIN', async () => {
    const { scheduler, a, b } = await linked({ faults: { delayMs: 5 } });
    a.link.end('duplicate link');
    await scheduler.advance(2);
    b.link.send(frame(2, 1, 1)); // crossing a's marker
    b.link.send(frame(2, 1, 2));
    await scheduler.advance(20);
    expect(a.frames).toEqual([frame(2, 1, 1), frame(2, 1, 2)]);
    expect([a.closed?.reason, b.closed?.reason]).toEqual(['duplicate link', 'the other side closed the link']);
  });

  it('end() across a partition gives up after its grace time', async () => {
    const { scheduler, network, a, b } = await linked();
    network.partition(['a'], ['b']);
    a.link.end('bye', 500);
    await scheduler.advance(499);
    expect(a.closed).toBeUndefined();
    await scheduler.advance(2);
    expect(a.closed).toBeDefined();
    expect(b.closed).toBeDefined();
  });

  it('destroy() closes both ends and loses what was in flight', async () => {
    const { scheduler, a, b } = await linked({ faults: { delayMs: 5 } });
    a.link.send(frame(7, 1));
    a.link.destroy('gone');
    await scheduler.advance(10);
    expect(b.frames).toHaveLength(0);
    expect(a.closed?.reason).toBe('gone');
    expect(b.closed?.reason).toBe('the other side reset the link');
  });

  it('bytes that are not IPC frames close the receiving link with BAD_MAGIC', async () => {
    const { scheduler, network, b } = await linked();
    expect(network.inject('a', 'b', Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))).toBe(true);
    await scheduler.advance(1);
    expect(isStatemeshError(b.closed?.error, 'BAD_MAGIC')).toBe(true);
  });

  it('a partition loses frames and refuses dials until healed; a crash cuts every link and stops the listener', async () => {
    const { scheduler, network, listener, a, b } = await linked();
    network.partition(['a'], ['b']);
    a.link.send(frame(7, 1));
    await scheduler.advance(1);
    expect(b.frames).toHaveLength(0);
    await expect(network.dialer('a', 'b').dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'PEER_UNAVAILABLE'));
    network.heal();
    a.link.send(frame(7, 2));
    await scheduler.advance(1);
    expect(b.frames).toHaveLength(1);
    network.crash('b');
    await scheduler.advance(1);
    expect(a.closed?.reason).toBe('node b crashed');
    expect(b.closed?.reason).toBe('node b crashed');
    await expect(network.dialer('a', 'b').dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'PEER_UNAVAILABLE'));
    await listener.close();
    expect(network.faultStats()).toMatchObject({ partitioned: 1, crashedLinks: 1 });
  });

  it('frames keep their send order on timers that run callbacks due together in any order', async () => {
    // The Timers contract does not order callbacks due at the same time; Node's real timers fire a shorter delay
    // first when its milliseconds truncate lower. These timers run whatever is due last-set first.
    const due: Array<() => void> = [];
    const timers: Timers = { now: () => 0, setTimeout: (callback) => (due.push(callback), {}), clearTimeout: () => {} };
    const network = new MemoryNetwork({ scheduler: timers });
    const accepted: End[] = [];
    await network.listener('b').start((link) => accepted.push(record(link)));
    const a = record(await network.dialer('a', 'b').dial());
    for (let i = 1; i <= 3; i++) a.link.send(frame(7, 1, i));
    while (due.length > 0) due.pop()!();
    expect(accepted[0]!.frames.map((f) => f.body[0])).toEqual([1, 2, 3]);
  });

  it('a second listener for the same node is refused until the first closes', async () => {
    const network = new MemoryNetwork({ scheduler: new VirtualScheduler() });
    const first = network.listener('n');
    await first.start(() => {});
    await expect(network.listener('n').start(() => {})).rejects.toSatisfy((e) => isStatemeshError(e, 'IO_ERROR'));
    await first.close();
    await network.listener('n').start(() => {});
    expect(() => network.listener('bad id')).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
  });
});

/** The kinds and fills b receives when a sends 200 mutation batches and 20 heartbeats under faults. */
async function deliveries(seed: number): Promise<string[]> {
  const { scheduler, network, a, b } = await linked({ seed, faults: { drop: 0.1, duplicate: 0.1, reorder: 0.2, delayMs: [1, 5] } });
  for (let i = 0; i < 200; i++) {
    a.link.send(frame(2, 4, i));
    if (i % 10 === 0) a.link.send(frame(7, 1, i));
    await scheduler.advance(1);
  }
  await scheduler.advance(100);
  const stats = network.faultStats();
  expect(stats.dropped).toBeGreaterThan(0);
  expect(stats.duplicated).toBeGreaterThan(0);
  expect(stats.reordered).toBeGreaterThan(0);
  return b.frames.map((f) => `${f.kind}:${f.body[0]}`);
}

describe('seeded faults', () => {
  it('the same seed gives the same run; another seed another', async () => {
    const first = await deliveries(7);
    expect(await deliveries(7)).toEqual(first);
    expect(await deliveries(8)).not.toEqual(first);
  });

  it('drop, duplicate and reorder mutation batches only: other frames all arrive, in order', async () => {
    const got = await deliveries(7);
    const batches = got.filter((k) => k.startsWith('2:')).map((k) => Number(k.slice(2)));
    expect(new Set(batches).size).toBeLessThan(200);
    expect(batches.length).toBeGreaterThan(new Set(batches).size);
    expect(batches).not.toEqual([...batches].sort((x, y) => x - y));
    const heartbeats = got.filter((k) => k.startsWith('7:')).map((k) => Number(k.slice(2)));
    expect(heartbeats).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
  });

  it('rejects fault settings out of range with INVALID_CONFIG', () => {
    expect(() => new MemoryNetwork({ faults: { drop: 2 } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new MemoryNetwork({ faults: { delayMs: [5, 1] } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new MemoryNetwork({ seed: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
