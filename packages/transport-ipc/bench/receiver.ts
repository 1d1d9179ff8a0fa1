// The receiving process of bench/run.ts: an ipcTransport node, or a raw length-prefixed `net` server (the floor).
// Driven over the IPC channel; times are process.hrtime (CLOCK_MONOTONIC, the same clock in both processes).
import { createServer, type Socket } from 'node:net';
import type { HelloInfo, Mutation, PeerEvent, SnapshotPage, TransportHost } from '@statemesh/contracts';
import { ipcTransport } from '@statemesh/transport-ipc';
import type { ProtocolTransport } from '@statemesh/protocol';

interface Config {
  mode: 'ipc' | 'raw';
  path: string;
  /** Busy-wait this long per mutation received: a receiver slower than its sender. */
  slowNsPerMutation?: number;
}
type Command = { type: 'expect'; count: number; latency: boolean } | { type: 'memory' } | { type: 'close' };

const config = JSON.parse(process.argv[2]!) as Config;
let expected = Number.POSITIVE_INFINITY;
let count = 0;
let recordLatency = false;
let latencies: number[] = [];
let peakRss = 0;
let cpuAtExpect = process.cpuUsage();

const send = (message: unknown): void => {
  if (process.connected) process.send!(message);
};
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
sampler.unref();

function stampOf(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

function received(n: number, stamp: bigint | undefined): void {
  if (config.slowNsPerMutation !== undefined) {
    const until = process.hrtime.bigint() + BigInt(config.slowNsPerMutation * n);
    while (process.hrtime.bigint() < until);
  }
  if (recordLatency && stamp !== undefined) latencies.push(Number(process.hrtime.bigint() - stamp) / 1e6);
  count += n;
  if (count >= expected) {
    expected = Number.POSITIVE_INFINITY;
    const cpu = process.cpuUsage(cpuAtExpect);
    send({ type: 'done', at: process.hrtime.bigint().toString(), latencies, cpuMicros: cpu.user + cpu.system });
  }
}

let close: () => Promise<void>;
if (config.mode === 'ipc') {
  const host: TransportHost = {
    hello: (): HelloInfo => ({ vector: {} }),
    onMutations(batch: readonly Mutation[]) {
      const payload = batch[0]?.payload;
      received(batch.length, recordLatency && payload instanceof Uint8Array ? stampOf(payload) : undefined);
    },
    onPeerEvent: (_event: PeerEvent) => {},
    readChunk: () => Promise.resolve(undefined),
    snapshot: async function* (): AsyncIterable<SnapshotPage> {
      yield { entries: [], last: true };
    },
  };
  const transport = ipcTransport({ nodeId: 'receiver', clusterId: 'bench', listen: config.path, onError: () => {} });
  await transport.start(host);
  close = () => transport.close();
} else {
  // Raw floor: frames of [u32 little-endian length][body]; count them, nothing decoded.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let carry: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      const data = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
      let pos = 0;
      let frames = 0;
      let stamp: bigint | undefined;
      while (data.length - pos >= 4) {
        const length = data.readUInt32LE(pos);
        if (data.length - pos - 4 < length) break;
        if (frames === 0 && recordLatency) stamp = data.readBigUInt64LE(pos + 4);
        pos += 4 + length;
        frames++;
      }
      carry = pos < data.length ? data.subarray(pos) : undefined;
      if (frames > 0) received(frames, stamp);
    });
  });
  await new Promise<void>((resolve) => server.listen(config.path, resolve));
  close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
}

process.on('message', (command: Command) => {
  switch (command.type) {
    case 'expect':
      count = 0;
      expected = command.count;
      recordLatency = command.latency;
      latencies = [];
      cpuAtExpect = process.cpuUsage();
      send({ type: 'expecting' });
      break;
    case 'memory':
      send({ type: 'memory', rss: process.memoryUsage.rss(), peakRss });
      peakRss = 0;
      break;
    case 'close':
      clearInterval(sampler);
      void close().then(() => process.disconnect());
      break;
  }
});
send({ type: 'ready', rss: process.memoryUsage.rss() });
