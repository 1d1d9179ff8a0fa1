import { describe, expect, it } from 'vitest';
import type { Mutation } from '@statemesh/contracts';
import { NatsTransport } from '@statemesh/transport-nats';
import { natsServerPerFile } from './fixtures/nats-server-per-file.ts';
import { RecordingHost, until, writes } from './fixtures/recording-host.ts';

const server = natsServerPerFile('f');

function node(clusterId: string, id: string, interests: string[], options: { maxHeldMutations?: number; logCursor?: number } = {}): { transport: NatsTransport; host: RecordingHost } {
  const host = new RecordingHost();
  host.interests = interests;
  const transport = new NatsTransport({ nodeId: id, clusterId, servers: [server.url()], heartbeatIntervalMs: 200, stream: { storage: 'memory' }, onError: () => undefined, ...options });
  return { transport, host };
}

function remove(origin: string, seq: number, path: string): Mutation {
  return { origin, seq, hlc: BigInt(seq) << 16n, path, op: 'delete', type: '' };
}

/** `count` writes of 1 KiB each under `prefix`. */
function big(origin: string, from: number, count: number, prefix: string): Mutation[] {
  return writes(origin, from, count, prefix).map((m) => ({ ...m, type: 'bytes', payload: new Uint8Array(1024).fill(7) }));
}

describe('interests as subject filters', () => {
  it('a node with interests is sent no byte of other subtrees, and still gets the deletes of its subtree and the root', async () => {
    const clusterId = server.nextCluster();
    const writer = node(clusterId, 'w', []);
    const a = node(clusterId, 'ia', ['a']);
    const deep = node(clusterId, 'iab', ['a.b']);
    const all = node(clusterId, 'all', []);
    const nodes = [writer, a, deep, all];
    for (const { transport, host } of nodes) await transport.start(host);
    try {
      await until(() => nodes.every(({ transport }) => transport.peers().length === 3), 'every node to see 3 peers');
      const before = a.transport.liveBatchBytes;
      // 200 KiB under b, then one batch spanning a, b and the root: split by subtree on the way out.
      writer.transport.publish(big('w', 1, 200, 'b'));
      writer.transport.publish([...writes('w', 201, 1, 'a'), ...big('w', 202, 1, 'b'), remove('w', 203, 'a'), remove('w', 204, '')]);
      await until(() => all.host.received.length === 204, 'every write at the node without interests');
      await until(() => a.host.received.length === 3, 'a.k201, the delete of a and of the root at the node with interest a');
      await until(() => deep.host.received.length === 2, 'the deletes of a and of the root at the node with interest a.b');
      expect(a.host.received.map((m) => m.path)).toEqual(['a.k201', 'a', '']);
      expect(deep.host.received.map((m) => m.path)).toEqual(['a', '']);
      // Counted at the subscription: the 201 KiB of b never reached the node with interests.
      expect(all.transport.liveBatchBytes).toBeGreaterThan(201 * 1024);
      expect(a.transport.liveBatchBytes - before).toBeLessThan(2 * 1024);
    } finally {
      for (const { transport } of nodes) await transport.close();
    }
  });

  it('reads from the log only the subjects of its interests', async () => {
    const clusterId = server.nextCluster();
    const writer = node(clusterId, 'w', []);
    await writer.transport.start(writer.host);
    for (let seq = 1; seq <= 100; seq += 10) writer.transport.publish(big('w', seq, 10, 'b'));
    writer.transport.publish([...writes('w', 101, 5, 'a'), remove('w', 106, '')]);
    await writer.transport.close();
    const a = node(clusterId, 'ia', ['a']);
    await a.transport.start(a.host);
    try {
      // One filter after the other (a replica merges in any order): each subject's messages in order.
      expect(a.host.received.map((m) => m.path).sort()).toEqual(['', 'a.k101', 'a.k102', 'a.k103', 'a.k104', 'a.k105']);
      expect(a.transport.logMessages).toBe(2); // the a part and the root part of the last batch, none of b
      expect(a.transport.logCursor).toBe(12);
    } finally {
      await a.transport.close();
    }
  });
});

describe('the log at start', () => {
  it('reads only the entries after a kept cursor', async () => {
    const clusterId = server.nextCluster();
    const writer = node(clusterId, 'w', []);
    await writer.transport.start(writer.host);
    for (let seq = 1; seq <= 300; seq += 10) writer.transport.publish(writes('w', seq, 10, 'scene'));
    const first = node(clusterId, 'r', []);
    await first.transport.start(first.host);
    const cursor = first.transport.logCursor;
    expect(cursor).toBe(30);
    await first.transport.close();
    for (let seq = 301; seq <= 350; seq += 10) writer.transport.publish(writes('w', seq, 10, 'scene'));
    await writer.transport.close();
    const again = node(clusterId, 'r', [], { logCursor: cursor });
    await again.transport.start(again.host);
    try {
      expect(again.transport.logMessages).toBe(5);
      expect(again.host.received.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 301 + i));
      expect(again.transport.logCursor).toBe(35);
    } finally {
      await again.transport.close();
    }
  });

  it('a cursor the stream trimmed past reads what is left', async () => {
    const clusterId = server.nextCluster();
    const writer = new NatsTransport({ nodeId: 'w', clusterId, servers: [server.url()], stream: { storage: 'memory', maxMessages: 5 }, onError: () => undefined });
    await writer.start(new RecordingHost());
    for (let seq = 1; seq <= 100; seq += 10) writer.publish(writes('w', seq, 10, 'scene'));
    await writer.close();
    const late = node(clusterId, 'r', [], { logCursor: 2 });
    await late.transport.start(late.host);
    try {
      expect(late.transport.logMessages).toBe(5);
      expect(late.host.received[0]!.seq).toBe(51);
    } finally {
      await late.transport.close();
    }
  });

  it('a cursor past the stream end (a stream made again) reads the stream from its start', async () => {
    const clusterId = server.nextCluster();
    const writer = node(clusterId, 'w', []);
    await writer.transport.start(writer.host);
    for (let seq = 1; seq <= 50; seq += 10) writer.transport.publish(writes('w', seq, 10, 'scene'));
    await writer.transport.close();
    const back = node(clusterId, 'r', [], { logCursor: 1_000 });
    await back.transport.start(back.host);
    try {
      expect(back.transport.logMessages).toBe(5);
      expect(back.transport.logCursor).toBe(5);
    } finally {
      await back.transport.close();
    }
  });

  it('drops the live batches held past maxHeldMutations and reads the log again: nothing is lost', async () => {
    const clusterId = server.nextCluster();
    const writer = node(clusterId, 'w', []);
    await writer.transport.start(writer.host);
    for (let seq = 1; seq <= 6_000; seq += 1) writer.transport.publish(writes('w', seq, 1, 'scene'));
    const reader = node(clusterId, 'r', [], { maxHeldMutations: 20 });
    // Each batch the reader takes from the log makes the writer publish one live: far more than 20 wait.
    let seq = 6_000;
    const onMutations = reader.host.onMutations.bind(reader.host);
    reader.host.onMutations = (batch, from) => {
      onMutations(batch, from);
      if (seq < 6_500) writer.transport.publish(writes('w', ++seq, 1, 'scene'));
    };
    await reader.transport.start(reader.host);
    try {
      await until(() => reader.host.vector['w'] === 6_500, 'every write at the reader, gap-free');
      expect(reader.transport.logRounds).toBeGreaterThan(1);
    } finally {
      await reader.transport.close();
      await writer.transport.close();
    }
  });
});
