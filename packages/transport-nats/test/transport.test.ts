import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { checkEntries } from '@statemesh/contracts';
import { NatsTransport } from '@statemesh/transport-nats';
import { encodeEnvelope } from '@statemesh/wire';
import { startNatsServer, type NatsServer } from '@statemesh/transport-nats/testing';
import { RecordingHost, until, writes } from './fixtures/recording-host.ts';

let server: NatsServer;
let cluster = 0;
const errors: string[] = [];

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.stop();
});

/** A fresh cluster id per test, so that their subjects and streams never meet. */
function nodes(count: number, options: { stream?: false; interests?: string[][] } = {}): Array<{ transport: NatsTransport; host: RecordingHost }> {
  const clusterId = `t${++cluster}`;
  return Array.from({ length: count }, (_, i) => {
    const host = new RecordingHost();
    host.interests = options.interests?.[i] ?? [];
    const transport = new NatsTransport({
      nodeId: `n${i}`,
      clusterId,
      servers: [server.url],
      heartbeatIntervalMs: 200,
      onError: (error) => void errors.push(error.message),
      ...(options.stream === false ? { stream: false as const } : { stream: { storage: 'memory' as const } }),
    });
    return { transport, host };
  });
}

describe('NatsTransport', () => {
  it('fans every batch out to every node with one publish, and lists every node as a peer', async () => {
    const all = nodes(4);
    for (const { transport, host } of all) await transport.start(host);
    try {
      await until(() => all.every(({ transport }) => transport.peers().length === 3), 'every node to see 3 peers');
      const [a] = all;
      const framesBefore = a!.transport.stats().framesSent;
      expect(a!.transport.publish(writes('n0', 1, 50))).toBe(3);
      await Promise.resolve(); // read before any heartbeat or acknowledgement can go
      expect(a!.transport.stats().framesSent - framesBefore).toBe(1);
      for (const { host } of all.slice(1)) await until(() => host.received.length === 50, 'the batch at every receiver');
      expect(all[1]!.host.from[0]).toBe('n0');
      // Acknowledgements: n0 hears that every other node applied n0:50.
      await until(() => a!.transport.peers().every((peer) => peer.acknowledged?.['n0'] === 50), 'acknowledgements of n0:50');
      expect(a!.transport.peers().map((p) => p.node).sort((x, y) => x.localeCompare(y))).toEqual(['n1', 'n2', 'n3']);
    } finally {
      for (const { transport } of all) await transport.close();
    }
    // Every node said goodbye: the last one to close saw the others go down.
    const last = all[3]!.host.events.filter((e) => e.type === 'down').map((e) => e.peer).sort((x, y) => x.localeCompare(y));
    expect(last).toEqual(['n0', 'n1', 'n2']);
  });

  it('never publishes again what came over NATS when the host relays it; batches for several peers in one turn are one publish', async () => {
    const all = nodes(3, { stream: false });
    // n1 relays what it receives to every other peer, as a session does: the whole batch, and a part of it.
    const relayed: number[] = [];
    const receive = all[1]!.host.onMutations.bind(all[1]!.host);
    all[1]!.host.onMutations = (batch, from) => {
      receive(batch, from);
      relayed.push(all[1]!.transport.publish(batch, { except: from }), all[1]!.transport.publish(batch.slice(1), { except: from }));
    };
    for (const { transport, host } of all) await transport.start(host);
    try {
      await until(() => all.every(({ transport }) => transport.peers().length === 2), 'peers');
      all[0]!.transport.publish(writes('n0', 1, 5));
      await until(() => all[1]!.host.received.length === 5, 'the batch at n1');
      expect(relayed).toEqual([0, 0]);
      await Promise.resolve();
      const before = all[1]!.transport.stats().framesSent;
      const batch = writes('n1', 1, 4);
      expect(all[1]!.transport.publish(batch.slice(2), { to: 'n2' })).toBe(1);
      expect(all[1]!.transport.publish(batch, { to: 'n0' })).toBe(1);
      await Promise.resolve(); // the end of the turn: both went out together (read before any heartbeat can go)
      expect(all[1]!.transport.stats().framesSent - before).toBe(1);
      await until(() => all[2]!.host.received.length === 9, 'the batch at n2');
      expect(all[2]!.host.received.slice(5).map((m) => m.seq)).toEqual([1, 2, 3, 4]); // in order, once each
      await until(() => all[0]!.host.received.length === 4, 'the batch at n0');
    } finally {
      for (const { transport } of all) await transport.close();
    }
  });

  it('splits a batch over the server max_payload into several messages', async () => {
    const all = nodes(2, { stream: false });
    for (const { transport, host } of all) await transport.start(host);
    try {
      await until(() => all[0]!.transport.peers().length === 1, 'peers');
      const big = writes('n0', 1, 40).map((m) => ({ ...m, payload: new Uint8Array(60_000).fill(m.seq) }));
      const before = all[0]!.transport.stats().framesSent;
      all[0]!.transport.publish(big);
      await Promise.resolve();
      expect(all[0]!.transport.stats().framesSent - before).toBeGreaterThan(2); // 2.4 MB over 1 MiB messages
      await until(() => all[1]!.host.received.length === 40, 'every part');
      expect(all[1]!.host.received.map((m) => m.seq)).toEqual(big.map((m) => m.seq));
    } finally {
      for (const { transport } of all) await transport.close();
    }
  });

  it('fetches a chunk larger than max_payload by request/reply, in parts', async () => {
    const all = nodes(3, { stream: false });
    for (const { transport, host } of all) await transport.start(host);
    try {
      await until(() => all[0]!.transport.peers().length === 2, 'peers');
      const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
      const digest = createHash('sha256').update(data).digest('hex');
      all[2]!.host.chunks.set(digest, data);
      const fetched = await all[0]!.transport.fetchChunk(digest, { timeoutMs: 10_000 });
      expect(fetched.length).toBe(data.length);
      expect(createHash('sha256').update(fetched).digest('hex')).toBe(digest);
      await expect(all[0]!.transport.fetchChunk('0'.repeat(64), { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'CHUNK_NOT_FOUND' });
    } finally {
      for (const { transport } of all) await transport.close();
    }
  });

  it('serves a snapshot page by page, pulled by the requester', async () => {
    const all = nodes(2, { stream: false });
    for (const { transport, host } of all) await transport.start(host);
    try {
      await until(() => all[1]!.transport.peers().length === 1, 'peers');
      all[0]!.host.entries = checkEntries(writes('n0', 1, 1000).map((m) => ({ path: m.path, type: m.type, payload: m.payload, version: { hlc: m.hlc, origin: m.origin, seq: m.seq }, tombstone: false })));
      all[0]!.host.vector = { n0: 1000 };
      const pages = [];
      for await (const page of all[1]!.transport.requestSnapshot('n0', { prefixes: [], pageSize: 300 })) pages.push(page);
      expect(pages.map((p) => p.entries.length)).toEqual([300, 300, 300, 100]);
      expect(pages.at(-1)).toMatchObject({ last: true, vector: { n0: 1000 } });
      await expect(async () => {
        for await (const page of all[1]!.transport.requestSnapshot('nobody', { prefixes: [] })) void page;
      }).rejects.toMatchObject({ code: 'PEER_UNAVAILABLE' });
    } finally {
      for (const { transport } of all) await transport.close();
    }
  });

  it('reads the JetStream log at start: a node joining after every writer left still gets every write', async () => {
    const [a, b, c] = nodes(3);
    await a!.transport.start(a!.host);
    await b!.transport.start(b!.host);
    await until(() => a!.transport.peers().length === 1, 'peers');
    for (let seq = 1; seq <= 5_000; seq += 500) {
      a!.transport.publish(writes('n0', seq, 500));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => b!.host.received.length === 5_000, 'the writes at n1');
    await a!.transport.close();
    await b!.transport.close();
    await c!.transport.start(c!.host);
    try {
      expect(c!.host.received.length).toBe(5_000);
      expect(c!.host.vector).toEqual({ n0: 5_000 });
      expect(c!.transport.logCursor).toBeGreaterThanOrEqual(10);
    } finally {
      await c!.transport.close();
    }
  });

  it('survives hostile messages on every subject: counted, said once, and the node goes on', async () => {
    const all = nodes(2, { stream: false });
    for (const { transport, host } of all) await transport.start(host);
    const raw = await connect({ servers: server.url });
    try {
      await until(() => all[0]!.transport.peers().length === 1, 'peers');
      const base = `statemesh.t${cluster}`;
      const junk = new Uint8Array([0xff, 0xff, 0xff, 0x0f, 1, 2, 3]);
      for (const subject of ['batch.evil.scene', 'presence.evil', 'ack.evil', 'hello.n0', 'chunk.n0', 'snapshot.n0']) raw.publish(`${base}.${subject}`, junk);
      // A Hello that names another node on the sender's subject, and a heartbeat frame on a batch subject.
      raw.publish(`${base}.presence.evil`, encodeEnvelope({ kind: 'hello', node: 'n1', cluster: `t${cluster}`, minVersion: 1, maxVersion: 1, vector: {}, interests: [], capabilities: [] }));
      raw.publish(`${base}.batch.evil.scene`, encodeEnvelope({ kind: 'heartbeat', node: 'evil', sentAtMs: 1 }));
      await raw.flush();
      await until(() => all[0]!.transport.stats().badFrames >= 5, 'the bad frames counted');
      all[1]!.transport.publish(writes('n1', 1, 3));
      await until(() => all[0]!.host.received.length === 3, 'a good batch after the bad ones');
      expect(all[0]!.transport.peers().map((p) => p.node)).toEqual(['n1']);
    } finally {
      await raw.close();
      for (const { transport } of all) await transport.close();
    }
  });

  it("ignores a Hello of its own id, of another cluster or with no version in common, each said once by the engine's rules", async () => {
    const said: string[] = [];
    const clusterId = `t${++cluster}`;
    const transport = new NatsTransport({ nodeId: 'me', clusterId, servers: [server.url], stream: false, heartbeatIntervalMs: 200, onError: (error) => void said.push(error.code) });
    await transport.start(new RecordingHost());
    const raw = await connect({ servers: server.url });
    try {
      const hello = (node: string, fields: object) => encodeEnvelope({ kind: 'hello', node, cluster: clusterId, minVersion: 1, maxVersion: 1, vector: {}, interests: [], capabilities: [], instance: 'x', ...fields });
      for (let i = 0; i < 3; i++) {
        raw.publish(`statemesh.${clusterId}.hello.me`, hello('me', {})); // another process with this node's id
        raw.publish(`statemesh.${clusterId}.presence.far`, hello('far', { cluster: 'other' }));
        raw.publish(`statemesh.${clusterId}.presence.new`, hello('new', { minVersion: 99, maxVersion: 99 }));
      }
      raw.publish(`statemesh.${clusterId}.presence.ok`, hello('ok', {}));
      await raw.flush();
      await until(() => transport.peers().length === 1, 'the good Hello');
      expect(transport.peers().map((p) => p.node)).toEqual(['ok']);
      expect(said.sort()).toEqual(['CLUSTER_MISMATCH', 'INVALID_CONFIG', 'VERSION_MISMATCH']);
    } finally {
      await raw.close();
      await transport.close();
    }
  });

  it('closes (and lets go of everything) while its NATS server is gone', async () => {
    const own = await startNatsServer({ jetstream: false });
    const transport = new NatsTransport({ nodeId: 'a', clusterId: 'gone', servers: [own.url], stream: false, onError: () => undefined });
    try {
      await transport.start(new RecordingHost());
      await own.kill();
      await transport.close(); // a reconnecting client must not hold close() up
      expect(transport.publish(writes('a', 1, 1))).toBe(0);
      await expect(transport.fetchChunk('0'.repeat(64))).rejects.toMatchObject({ code: 'CLOSED' });
    } finally {
      await own.stop();
    }
  });

  it('fails to start with INVALID_CONFIG when the server has no JetStream and the log is asked for', async () => {
    const own = await startNatsServer({ jetstream: false });
    const transport = new NatsTransport({ nodeId: 'a', clusterId: 'nojs', servers: [own.url], onError: () => undefined });
    try {
      await expect(transport.start(new RecordingHost())).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('JetStream') });
      await transport.close();
    } finally {
      await own.stop();
    }
  });

  it('fails to start with IO_ERROR when no server answers, and refuses bad options', async () => {
    const transport = new NatsTransport({ nodeId: 'x', clusterId: 'c', servers: ['nats://127.0.0.1:1'], connectTimeoutMs: 2_000 });
    await expect(transport.start(new RecordingHost())).rejects.toMatchObject({ code: 'IO_ERROR' });
    await transport.close();
    expect(() => new NatsTransport({ nodeId: 'x', clusterId: 'c', servers: [] })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new NatsTransport({ nodeId: 'x y', clusterId: 'c', servers: ['nats://h'] })).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
  });
});
