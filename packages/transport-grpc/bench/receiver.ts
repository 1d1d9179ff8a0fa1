// The receiving process of bench/run.ts: the engine over a gRPC listener, a bare grpc-js server of raw buffers, or (for the
// comparison) our IPC transport. Counts what arrives and reports to the parent over the IPC channel.
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import type { HelloInfo, Mutation, SnapshotPage, Transport, TransportHost } from '@statemesh/contracts';
import { ProtocolTransport } from '@statemesh/protocol';
import { grpcListener } from '@statemesh/transport-grpc';

/** What the parent passes as argv[2]. */
export interface ReceiverConfig {
  mode: 'grpc' | 'raw' | 'ipc';
  /** For ipc: the socket path. */
  path?: string;
  /** Busy time per mutation received, to make a slow receiver (ns). */
  slowNsPerMutation?: number;
}

/** The raw method: one bidi stream of opaque buffers (run.ts has the same constant). */
const RAW_PATH = '/bench.Raw/Channel';

const config = JSON.parse(process.argv[2]!) as ReceiverConfig;
const send = (message: unknown): void => {
  if (process.connected) process.send!(message);
};
let expected = 0;
let received = 0;
let measureLatency = false;
let latencies: number[] = [];
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function count(n: number, stamps: () => bigint[]): void {
  if (config.slowNsPerMutation !== undefined) Atomics.wait(sleeper, 0, 0, (n * config.slowNsPerMutation) / 1e6);
  if (measureLatency) {
    const now = process.hrtime.bigint();
    for (const stamp of stamps()) latencies.push(Number(now - stamp) / 1e6);
  }
  received += n;
  if (expected > 0 && received >= expected) {
    send({ type: 'done', at: String(process.hrtime.bigint()), latencies: measureLatency ? latencies : [] });
    expected = 0;
  }
}

const stampOf = (m: Mutation): bigint => {
  const payload = m.payload as Uint8Array;
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getBigUint64(0, true);
};

const host: TransportHost = {
  hello: (): HelloInfo => ({ vector: {} }),
  onMutations: (batch) => count(batch.length, () => batch.map(stampOf)),
  onPeerEvent: (event) => send({ type: 'peer', event: event.type }),
  readChunk: () => Promise.resolve(undefined),
  snapshot: async function* (): AsyncIterable<SnapshotPage> {
    yield { entries: [], last: true };
  },
};

let close: () => Promise<void>;
if (config.mode === 'raw') {
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const identity = (bytes: Buffer): Buffer => bytes;
  server.addService(
    { Channel: { path: RAW_PATH, requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    {
      Channel: (call: ServerDuplexStream<Buffer, Buffer>) => {
        // A raw message: stamp u64 at 0, the number of mutations it stands for u32 at 8, filler.
        call.on('data', (bytes: Buffer) => {
          const n = bytes.readUInt32LE(8);
          count(n, () => Array.from({ length: n }, () => bytes.readBigUInt64LE(0)));
        });
        call.on('end', () => call.end());
        call.on('error', () => {});
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e))));
  send({ type: 'ready', address: `127.0.0.1:${port}` });
  close = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
} else {
  // IPC links, for the comparison: a dev dependency of the benchmark; the package itself may not depend on it
  // (DESIGN.md's arrows).
  const listener = config.mode === 'grpc' ? grpcListener('127.0.0.1:0') : (await import('@statemesh/transport-ipc')).ipcListener(config.path!);
  const transport: Transport = new ProtocolTransport({ nodeId: 'receiver', clusterId: 'bench', listeners: [listener], onError: () => {} });
  await transport.start(host);
  send({ type: 'ready', address: listener.address });
  close = () => transport.close();
}

process.on('message', (message: { type: string; count?: number; latency?: boolean }) => {
  switch (message.type) {
    case 'expect':
      expected = received + message.count!;
      measureLatency = message.latency === true;
      latencies = [];
      send({ type: 'expecting' });
      break;
    case 'memory':
      send({ type: 'memory', rss: process.memoryUsage.rss(), peakRss: process.resourceUsage().maxRSS * 1024, received });
      break;
    case 'close':
      void close().then(() => process.disconnect());
      break;
  }
});
