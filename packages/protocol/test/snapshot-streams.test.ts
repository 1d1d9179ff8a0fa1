import { describe, expect, it } from 'vitest';
import { isStatemeshError, type SnapshotPage } from '@statemesh/contracts';
import { SnapshotStreams, peerUnavailable, realTimers } from '@statemesh/protocol';
import type { SnapshotRequestFrame } from '@statemesh/wire';

const SOURCE = '@statemesh/transport-test';

interface FakeConnection {
  readonly node: string;
  accepts: boolean;
}

function setup(nodes: readonly string[], pageTimeoutMs = 1_000) {
  const peers = new Map<string, FakeConnection>(nodes.map((node) => [node, { node, accepts: true }]));
  let next = 41;
  const sent: Array<{ connection: FakeConnection; frame: SnapshotRequestFrame }> = [];
  const snapshots = new SnapshotStreams<FakeConnection>({
    source: SOURCE,
    timers: realTimers,
    peers,
    pageTimeoutMs,
    nextRequestId: () => next++,
    send(connection, frame) {
      if (!connection.accepts) return false;
      sent.push({ connection, frame });
      return true;
    },
  });
  return { snapshots, peers, sent };
}

async function collect(pages: AsyncIterable<SnapshotPage>): Promise<SnapshotPage[]> {
  const out: SnapshotPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isStatemeshError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Lets the request generator run up to its first wait. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SnapshotStreams', () => {
  it('sends the request and yields the pages in order, up to the last one', async () => {
    const { snapshots, peers, sent } = setup(['a']);
    const a = peers.get('a')!;
    const pages = collect(snapshots.request('a', { prefixes: ['scene'], vector: { a: 3 }, pageSize: 2 }));
    await settle();
    expect(sent).toEqual([{ connection: a, frame: { kind: 'snapshot-request', requestId: 41, prefixes: ['scene'], vector: { a: 3 }, pageSize: 2 } }]);
    snapshots.page(a, { kind: 'snapshot-page', requestId: 41, entries: [], last: false });
    snapshots.page(a, { kind: 'snapshot-page', requestId: 41, entries: [], last: true, vector: { a: 5 } });
    expect(await pages).toEqual([
      { entries: [], last: false },
      { entries: [], last: true, vector: { a: 5 } },
    ]);
    expect(snapshots.size).toBe(0);
  });

  it('fails with PEER_UNAVAILABLE when the peer is not connected or was dropped for not keeping up', async () => {
    const { snapshots, peers } = setup(['a']);
    const missing = await failureOf(collect(snapshots.request('z', { prefixes: [] })));
    expect(missing).toEqual({ code: 'PEER_UNAVAILABLE', message: `${SOURCE}: peer z is unavailable: it is not connected; retry once it is back up` });
    peers.get('a')!.accepts = false;
    expect((await failureOf(collect(snapshots.request('a', { prefixes: [] })))).code).toBe('PEER_UNAVAILABLE');
    expect(snapshots.size).toBe(0);
  });

  it('fails with TIMEOUT when a page is late', async () => {
    const { snapshots, peers } = setup(['a'], 20);
    const pages = collect(snapshots.request('a', { prefixes: [] }));
    await settle();
    snapshots.page(peers.get('a')!, { kind: 'snapshot-page', requestId: 41, entries: [], last: false });
    const { code, message } = await failureOf(pages);
    expect(code).toBe('TIMEOUT');
    expect(message).toBe(`${SOURCE}: peer a sent no snapshot page for 20 ms; retry, or raise snapshotTimeoutMs`);
    expect(snapshots.size).toBe(0);
  });

  it('fails with the error it is given when the peer goes down mid-stream', async () => {
    const { snapshots, peers } = setup(['a', 'b']);
    const fromA = collect(snapshots.request('a', { prefixes: [] }));
    const fromB = collect(snapshots.request('b', { prefixes: [] }));
    await settle();
    snapshots.failConnection(peers.get('a')!, peerUnavailable(SOURCE, 'a', 'the socket closed'));
    expect(await failureOf(fromA)).toEqual({ code: 'PEER_UNAVAILABLE', message: `${SOURCE}: peer a is unavailable: the socket closed; retry once it is back up` });
    expect(snapshots.size).toBe(1);
    snapshots.page(peers.get('b')!, { kind: 'snapshot-page', requestId: 42, entries: [], last: true });
    expect(await fromB).toHaveLength(1);
  });

  it('fails with INTERNAL when the peer could not produce the snapshot', async () => {
    const { snapshots, peers } = setup(['a']);
    const pages = collect(snapshots.request('a', { prefixes: [] }));
    await settle();
    snapshots.page(peers.get('a')!, { kind: 'snapshot-page', requestId: 41, entries: [], last: true, error: 'disk full' });
    expect(await failureOf(pages)).toEqual({ code: 'INTERNAL', message: `${SOURCE}: peer a could not produce the snapshot: disk full` });
  });

  it('drops pages from another connection and pages nobody waits for', async () => {
    const { snapshots, peers } = setup(['a', 'b'], 20);
    const pages = collect(snapshots.request('a', { prefixes: [] }));
    await settle();
    snapshots.page(peers.get('b')!, { kind: 'snapshot-page', requestId: 41, entries: [], last: true });
    snapshots.page(peers.get('a')!, { kind: 'snapshot-page', requestId: 7, entries: [], last: true });
    expect((await failureOf(pages)).code).toBe('TIMEOUT');
  });

  it('forgets a request whose consumer stops early', async () => {
    const { snapshots, peers } = setup(['a']);
    const iterator = snapshots.request('a', { prefixes: [] });
    const first = iterator.next();
    await settle();
    snapshots.page(peers.get('a')!, { kind: 'snapshot-page', requestId: 41, entries: [], last: false });
    expect((await first).done).toBe(false);
    await iterator.return();
    expect(snapshots.size).toBe(0);
  });
});
