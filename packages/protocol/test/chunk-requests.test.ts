import { describe, expect, it } from 'vitest';
import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import { ChunkRequests, peerUnavailable, realTimers } from '@statemesh/protocol';
import type { ChunkRequestFrame } from '@statemesh/wire';

const SOURCE = '@statemesh/transport-test';
const DIGEST = 'ab'.repeat(32);

interface FakeConnection {
  readonly node: string;
  readonly asked: ChunkRequestFrame[];
  accepts: boolean;
}

function setup(nodes: readonly string[], maxPerPeer?: number) {
  const peers = new Map<string, FakeConnection>(nodes.map((node) => [node, { node, asked: [], accepts: true }]));
  let next = 1;
  let closed: StatemeshError | undefined;
  const asked: Array<{ connection: FakeConnection; frame: ChunkRequestFrame }> = [];
  let onAsk: ((connection: FakeConnection, frame: ChunkRequestFrame) => void) | undefined;
  const chunks = new ChunkRequests<FakeConnection>({
    source: SOURCE,
    timers: realTimers,
    peers,
    nextRequestId: () => next++,
    send(connection, frame) {
      if (!connection.accepts) return false;
      connection.asked.push(frame);
      asked.push({ connection, frame });
      // Answer later, as a peer would.
      queueMicrotask(() => onAsk?.(connection, frame));
      return true;
    },
    closedError: () => closed,
    maxPerPeer,
  });
  return {
    chunks,
    peers,
    asked,
    answerWith: (fn: (connection: FakeConnection, frame: ChunkRequestFrame) => void): void => {
      onAsk = fn;
    },
    close: (error: StatemeshError): void => {
      closed = error;
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isStatemeshError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('ChunkRequests', () => {
  it('asks the peers in turn until one holds the chunk', async () => {
    const { chunks, peers, asked, answerWith } = setup(['a', 'b', 'c']);
    const data = new Uint8Array([1, 2, 3]);
    answerWith((connection, frame) => chunks.answer(connection, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: connection.node === 'b', data: connection.node === 'b' ? data : new Uint8Array(0) }));
    expect(await chunks.fetch(DIGEST)).toEqual(data);
    expect(asked.map(({ connection }) => connection.node)).toEqual(['a', 'b']);
    expect(asked.map(({ frame }) => frame)).toEqual([
      { kind: 'chunk-request', requestId: 1, digest: DIGEST },
      { kind: 'chunk-request', requestId: 2, digest: DIGEST },
    ]);
    expect(peers.get('c')!.asked).toEqual([]);
    expect(chunks.size).toBe(0);
  });

  it('asks only options.peer when given', async () => {
    const { chunks, asked, answerWith } = setup(['a', 'b']);
    answerWith((connection, frame) => chunks.answer(connection, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: true, data: new Uint8Array([9]) }));
    expect(await chunks.fetch(DIGEST, { peer: 'b' })).toEqual(new Uint8Array([9]));
    expect(asked.map(({ connection }) => connection.node)).toEqual(['b']);
  });

  it('rejects with CHUNK_NOT_FOUND when every peer answers that it does not hold it, prefixed by the source', async () => {
    const { chunks, answerWith } = setup(['a', 'b']);
    answerWith((connection, frame) => chunks.answer(connection, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: false, data: new Uint8Array(0) }));
    const { code, message } = await codeOf(chunks.fetch(DIGEST));
    expect(code).toBe('CHUNK_NOT_FOUND');
    expect(message).toBe(`${SOURCE}: no peer holds chunk ${DIGEST} (2 answered that they do not)`);
    expect(chunks.size).toBe(0);
  });

  it('rejects with NO_PEERS when no peer is connected, or the one asked for is not', async () => {
    expect((await codeOf(setup([]).chunks.fetch(DIGEST))).code).toBe('NO_PEERS');
    const { code, message } = await codeOf(setup(['a']).chunks.fetch(DIGEST, { peer: 'z' }));
    expect(code).toBe('NO_PEERS');
    expect(message).toContain(`${SOURCE}: peer z is not connected`);
  });

  it('asks the next peer when one disconnects, and fails with NO_PEERS when they all did', async () => {
    const { chunks, asked, answerWith } = setup(['a', 'b']);
    answerWith((connection) => chunks.failConnection(connection, peerUnavailable(SOURCE, connection.node, 'the socket closed')));
    const { code, message } = await codeOf(chunks.fetch(DIGEST));
    expect(code).toBe('NO_PEERS');
    expect(message).toBe(`${SOURCE}: every peer to ask for chunk ${DIGEST} disconnected; retry when peers are up`);
    expect(asked.map(({ connection }) => connection.node)).toEqual(['a', 'b']);
    expect(chunks.size).toBe(0);
  });

  it('skips a peer dropped for not keeping up', async () => {
    const { chunks, peers, asked, answerWith } = setup(['a', 'b']);
    peers.get('a')!.accepts = false;
    answerWith((connection, frame) => chunks.answer(connection, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: true, data: new Uint8Array([7]) }));
    expect(await chunks.fetch(DIGEST)).toEqual(new Uint8Array([7]));
    expect(asked.map(({ connection }) => connection.node)).toEqual(['b']);
    expect(chunks.size).toBe(0);
  });

  it('rejects with TIMEOUT when no peer answers in time, and forgets the request', async () => {
    const { chunks } = setup(['a']);
    const { code, message } = await codeOf(chunks.fetch(DIGEST, { timeoutMs: 20 }));
    expect(code).toBe('TIMEOUT');
    expect(message).toBe(`${SOURCE}: no peer delivered chunk ${DIGEST} within 20 ms; retry later or raise timeoutMs`);
    expect(chunks.size).toBe(0);
  });

  it('rejects with CANCELLED when its signal aborts, before or during the fetch', async () => {
    const { chunks } = setup(['a']);
    expect((await codeOf(chunks.fetch(DIGEST, { signal: AbortSignal.abort() }))).code).toBe('CANCELLED');
    const controller = new AbortController();
    const fetching = chunks.fetch(DIGEST, { signal: controller.signal });
    controller.abort();
    const { code, message } = await codeOf(fetching);
    expect(code).toBe('CANCELLED');
    expect(message).toBe(`${SOURCE}: fetch of chunk ${DIGEST} was cancelled by its signal`);
    expect(chunks.size).toBe(0);
  });

  it('rejects a malformed digest with INVALID_ARGUMENT', async () => {
    const { code, message } = await codeOf(setup(['a']).chunks.fetch('not-a-digest'));
    expect(code).toBe('INVALID_ARGUMENT');
    expect(message.startsWith(`${SOURCE}: `)).toBe(true);
  });

  it('fails at once with the transport closing error instead of asking the next peer', async () => {
    const { chunks, asked, answerWith, close } = setup(['a', 'b']);
    const closing = new StatemeshError('CLOSED', `${SOURCE}: the transport is closed`);
    answerWith((connection) => {
      close(closing);
      chunks.failConnection(connection, closing);
    });
    expect((await codeOf(chunks.fetch(DIGEST))).code).toBe('CLOSED');
    expect(asked).toHaveLength(1);
  });

  it('ignores an answer from another connection than the one asked', async () => {
    const { chunks, peers, answerWith } = setup(['a', 'b']);
    answerWith((_connection, frame) => chunks.answer(peers.get('b')!, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: true, data: new Uint8Array([1]) }));
    expect((await codeOf(chunks.fetch(DIGEST, { peer: 'a', timeoutMs: 20 }))).code).toBe('TIMEOUT');
  });
});

describe('ChunkRequests per-peer bound', () => {
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };

  it('keeps at most maxPerPeer requests in flight to a peer; the others go, in order, as answers come', async () => {
    const { chunks, asked, answerWith } = setup(['a'], 2);
    answerWith(() => undefined); // the peer holds every answer until told
    const fetches = Array.from({ length: 5 }, () => chunks.fetch(DIGEST, { timeoutMs: 10_000 }));
    await flush();
    expect(asked).toHaveLength(2);
    expect(chunks.queued).toBe(3);
    const answer = (n: number): void => {
      const { connection, frame } = asked[n]!;
      chunks.answer(connection, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: true, data: new Uint8Array([n]) });
    };
    answer(0);
    await flush();
    expect(asked).toHaveLength(3);
    for (let n = 1; n < 5; n++) {
      answer(n);
      await flush();
    }
    expect((await Promise.all(fetches)).map((bytes) => bytes[0])).toEqual([0, 1, 2, 3, 4]);
    expect(chunks.size).toBe(0);
    expect(chunks.queued).toBe(0);
  });

  it('frees the turn of a fetch that timed out or was cancelled, and never sends a request that waited past its end', async () => {
    const { chunks, asked, answerWith } = setup(['a'], 1);
    answerWith(() => undefined);
    const first = chunks.fetch(DIGEST, { timeoutMs: 50 });
    const controller = new AbortController();
    const queued = chunks.fetch(DIGEST, { timeoutMs: 10_000, signal: controller.signal });
    await flush();
    expect(asked).toHaveLength(1);
    controller.abort();
    expect((await codeOf(queued)).code).toBe('CANCELLED');
    expect((await codeOf(first)).code).toBe('TIMEOUT');
    await flush();
    expect(asked).toHaveLength(1); // the cancelled one was never sent
    answerWith((connection, frame) => chunks.answer(connection, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: true, data: new Uint8Array([5]) }));
    expect((await chunks.fetch(DIGEST, { timeoutMs: 5_000 }))[0]).toBe(5); // the peer's turn is free again
    expect(chunks.size).toBe(0);
  });

  it('lets the requests waiting on a connection that closes go to the next peer', async () => {
    const { chunks, asked, answerWith, peers } = setup(['a', 'b'], 1);
    answerWith((connection, frame) => {
      if (connection.node === 'b') chunks.answer(connection, { kind: 'chunk-response', requestId: frame.requestId, digest: DIGEST, found: true, data: new Uint8Array([2]) });
    });
    const fetches = [chunks.fetch(DIGEST, { peer: 'a', timeoutMs: 5_000 }), chunks.fetch(DIGEST, { timeoutMs: 5_000 }), chunks.fetch(DIGEST, { timeoutMs: 5_000 })];
    await flush();
    expect(asked.filter((a) => a.connection.node === 'a')).toHaveLength(1);
    const a = peers.get('a')!;
    a.accepts = false;
    chunks.failConnection(a, peerUnavailable(SOURCE, 'a', 'the socket closed'));
    const [onlyA, ...others] = await Promise.allSettled(fetches);
    expect(onlyA!.status).toBe('rejected');
    expect(others.map((r) => (r.status === 'fulfilled' ? r.value[0] : r.reason))).toEqual([2, 2]);
  });
});
