// followLog: the log cursor moves along the live path (a headers-only consumer relates each live batch to its
// stream sequence), and a batch the host did not take live is read from the log.
import { describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Mutation } from '@statemesh/contracts';
import { NatsTransport } from '@statemesh/transport-nats';
import { natsServerPerFile } from './fixtures/nats-server-per-file.ts';
import { RecordingHost, until, writes } from './fixtures/recording-host.ts';

const server = natsServerPerFile('lf');

type Node = { transport: NatsTransport; host: RecordingHost };

function node(clusterId: string, id: string, options: { followLog?: boolean; logCursor?: number; interests?: string[] } = {}, host = new RecordingHost()): Node {
  host.interests = options.interests ?? [];
  const transport = new NatsTransport({ nodeId: id, clusterId, servers: [server.url()], heartbeatIntervalMs: 200, stream: { storage: 'memory' }, onError: () => undefined, logCursor: options.logCursor, followLog: options.followLog });
  return { transport, host };
}

/** A reader (with `options`, and `host` when given) and a writer of a fresh cluster, started, the writer seeing the reader. */
async function readerAndWriter(options: { followLog?: boolean; interests?: string[] }, host?: RecordingHost): Promise<{ clusterId: string; reader: Node; writer: Node }> {
  const clusterId = server.nextCluster();
  const reader = node(clusterId, 'r', options, host);
  const writer = node(clusterId, 'w');
  await reader.transport.start(reader.host);
  await writer.transport.start(writer.host);
  await until(() => writer.transport.peers().length === 1, 'the writer sees the reader');
  return { clusterId, reader, writer };
}

/** Publishes `count` batches of one write each under `prefix`, each once the previous one reached `at`. */
async function publishEach(writer: NatsTransport, at: RecordingHost, from: number, count: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    writer.publish(writes('w', from + i, 1, prefix) as Mutation[]);
    await until(() => at.received.length > i, 'the batch reached the reader');
  }
}

describe('followLog', () => {
  it('moves the cursor over live batches without reading them from the log; a restart from it reads nothing again', async () => {
    const { clusterId, reader, writer } = await readerAndWriter({ followLog: true, interests: ['scene'] });
    try {
      await publishEach(writer.transport, reader.host, 1, 40, 'scene');
      for (let i = 0; i < 10; i++) writer.transport.publish(writes('w', 41 + i, 1, 'telemetry') as Mutation[]); // not for the reader
      writer.transport.publish(writes('w', 51, 1, 'scene') as Mutation[]);
      await until(() => reader.host.received.length === 41, 'the last batch');
      await until(() => reader.transport.logCursor === 51, 'the cursor over all 51 messages of the log');
      expect(reader.transport.logMessages).toBe(0); // every one handled live: none read from the log
      expect(reader.host.received.length).toBe(41);
    } finally {
      await Promise.all([reader.transport.close(), writer.transport.close()]);
    }
    const again = node(clusterId, 'r', { logCursor: 51, interests: ['scene'] });
    await again.transport.start(again.host);
    try {
      expect(again.transport.logMessages).toBe(0);
      expect(again.host.received.length).toBe(0);
    } finally {
      await again.transport.close();
    }
  });

  it('reads from the log a live batch the host did not take, and only that one', async () => {
    const host = new RecordingHost();
    let refuse = true;
    const take = host.onMutations.bind(host);
    host.onMutations = (batch, from) => {
      if (refuse && batch.some((m) => m.seq === 3)) {
        refuse = false;
        throw new Error('the host failed on this batch');
      }
      take(batch, from);
    };
    const { reader, writer } = await readerAndWriter({ followLog: true }, host);
    try {
      for (let seq = 1; seq <= 5; seq++) writer.transport.publish(writes('w', seq, 1) as Mutation[]);
      await until(() => host.received.length === 5, 'all five, the third from the log');
      expect(host.received.map((m) => m.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5]);
      await until(() => reader.transport.logCursor === 5, 'the cursor over the five');
      expect(reader.transport.logMessages).toBe(1);
    } finally {
      await Promise.all([reader.transport.close(), writer.transport.close()]);
    }
  });

  it('follows a stream deleted and made again from its start: the cursor claims none of the old sequences', async () => {
    const { clusterId, reader, writer } = await readerAndWriter({ followLog: true });
    const nc = await connect({ servers: server.url() });
    const again = node(clusterId, 'w2');
    try {
      for (let seq = 1; seq <= 10; seq++) writer.transport.publish(writes('w', seq, 1) as Mutation[]);
      await until(() => reader.transport.logCursor === 10, 'the cursor over the ten');
      await (await jetstreamManager(nc)).streams.delete(`statemesh-${clusterId}`);
      await again.transport.start(again.host); // makes the stream again
      for (let seq = 1; seq <= 5; seq++) again.transport.publish(writes('w2', seq, 1) as Mutation[]);
      await until(() => reader.host.received.length === 15, 'the five of the new stream, live');
      await until(() => reader.transport.logCursor === 5, 'the cursor over the five of the new stream');
      expect(reader.transport.logMessages).toBe(0);
    } finally {
      await Promise.all([reader.transport.close(), writer.transport.close(), again.transport.close(), nc.close()]);
    }
  });

  it('without followLog the cursor stays where the start read reached', async () => {
    const { reader, writer } = await readerAndWriter({});
    try {
      for (let seq = 1; seq <= 5; seq++) writer.transport.publish(writes('w', seq, 1) as Mutation[]);
      await until(() => reader.host.received.length === 5, 'all five');
      expect(reader.transport.logCursor).toBe(0);
    } finally {
      await Promise.all([reader.transport.close(), writer.transport.close()]);
    }
  });
});
