// Benchmark of @statemesh/transport-nats against a real nats-server on loopback (started here), every figure
// beside its peer measured in the same run, medians of BENCH_RUNS runs (default 3). Run: `pnpm bench` here.
//
//   1. fan-out to 10 and 50 receivers: one writer publishes BENCH_WRITES writes (batches of 100, 100-byte values);
//      replicated writes/s per receiver (first publish to the last receiver's last write) and p99 write-to-visible
//      (batch published to batch delivered, over every receiver). Beside: bare NATS publish/subscribe of the same
//      payload bytes with the same pacing (the floor), and a gRPC mesh with relay (@statemesh/transport-grpc): the
//      writer and the receivers linked as a tree of fan-out RELAY_FANOUT, each receiver relaying what it gets to
//      its other links (as a session relays), so no node sends more than RELAY_FANOUT copies of a batch.
//   2. catch-up of BENCH_ENTRIES entries (default 1 000 000): from the JetStream log at start, beside a catch-up
//      of the same entries pulled from a peer by request/reply.
// All receivers run in this one process (as the tests do): per-receiver rates are what one core delivers to all.
import { cpus, loadavg } from 'node:os';
import { checkEntries } from '@statemesh/contracts';
import type { CheckedEntry, Entry, HelloInfo, Mutation, PeerEvent, SnapshotPage, TransportHost } from '@statemesh/contracts';
import { connect } from '@nats-io/transport-node';
import { ProtocolTransport } from '@statemesh/protocol';
import { grpcDialer, grpcListener } from '@statemesh/transport-grpc';
import { NatsTransport } from '@statemesh/transport-nats';
import { freePort, startNatsServer } from '@statemesh/transport-nats/testing';
import { encodeEnvelope } from '@statemesh/wire';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const WRITES = Number(process.env['BENCH_WRITES'] ?? 20_000);
const ENTRIES = Number(process.env['BENCH_ENTRIES'] ?? 1_000_000);
const BATCH = 100;
const PAYLOAD = 100;
const RELAY_FANOUT = Number(process.env['BENCH_RELAY_FANOUT'] ?? 5);

/** A host that counts deliveries and stamps when each batch (by its first seq) arrived. */
class CountingHost implements TransportHost {
  count = 0;
  readonly arrivals = new Map<number, number>();
  entries: CheckedEntry[] = [];
  hello(): HelloInfo {
    return { vector: {} };
  }
  onMutations(batch: readonly Mutation[]): void {
    this.count += batch.length;
    this.arrivals.set(batch[0]!.seq, performance.now());
  }
  onPeerEvent(_event: PeerEvent): void {}
  readChunk(): Promise<Uint8Array | undefined> {
    return Promise.resolve(undefined);
  }
  async *snapshot(): AsyncIterable<SnapshotPage> {
    for (let i = 0; i < this.entries.length; i += 10_000) {
      yield { entries: this.entries.slice(i, i + 10_000), last: i + 10_000 >= this.entries.length, vector: { w: this.entries.length } };
    }
  }
}

function batches(origin: string, total: number): Mutation[][] {
  const out: Mutation[][] = [];
  for (let seq = 1; seq <= total; seq += BATCH) {
    out.push(Array.from({ length: BATCH }, (_, i) => ({ origin, seq: seq + i, hlc: BigInt(seq + i) << 16n, path: `bench.k${(seq + i) % 1000}`, op: 'set' as const, type: 'bytes', payload: new Uint8Array(PAYLOAD).fill(i) })));
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bench: gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface FanOut {
  readonly perReceiver: number;
  readonly p99Ms: number;
}

/** Publishes every batch (a turn of the event loop after each), measures until each receiver holds all. */
async function measure(publish: (batch: Mutation[]) => void, hosts: CountingHost[], total: number): Promise<FanOut> {
  const sentAt = new Map<number, number>();
  const start = performance.now();
  for (const batch of batches('w', total)) {
    sentAt.set(batch[0]!.seq, performance.now());
    publish(batch);
    await turn();
  }
  await until(() => hosts.every((h) => h.count >= total), 'every receiver');
  const elapsed = (performance.now() - start) / 1000;
  const latencies = hosts.flatMap((h) => [...h.arrivals].map(([seq, at]) => at - sentAt.get(seq)!));
  return { perReceiver: total / elapsed, p99Ms: p99(latencies) };
}

async function natsFanOut(url: string, receivers: number, run: string): Promise<FanOut> {
  const clusterId = `bench${run}`;
  const make = (id: string): NatsTransport => new NatsTransport({ nodeId: id, clusterId, servers: [url], stream: false, onError: () => undefined });
  const writer = make('w');
  const hosts = Array.from({ length: receivers }, () => new CountingHost());
  const readers = hosts.map((_, i) => make(`r${i}`));
  await writer.start(new CountingHost());
  for (const [i, r] of readers.entries()) await r.start(hosts[i]!);
  try {
    await until(() => writer.peers().length === receivers, 'peers');
    return await measure((batch) => void writer.publish(batch), hosts, WRITES);
  } finally {
    await Promise.all([writer, ...readers].map((t) => t.close()));
  }
}

async function bareNats(url: string, receivers: number, run: string): Promise<FanOut> {
  const subject = `bare.${run}`;
  const pub = await connect({ servers: url });
  const hosts = Array.from({ length: receivers }, () => new CountingHost());
  const subs = await Promise.all(hosts.map(() => connect({ servers: url })));
  // The same bytes as the transport publishes; the receiver counts a batch per message, as a decoder-less floor.
  subs.forEach((nc, i) => nc.subscribe(subject, { callback: (_e, msg) => hosts[i]!.onMutations(Array.from({ length: BATCH }, (_, k) => ({ seq: Number(msg.headers?.get('s') ?? 0) + k }) as unknown as Mutation)) }));
  await Promise.all(subs.map((nc) => nc.flush()));
  const { headers } = await import('@nats-io/transport-node');
  try {
    return await measure((batch) => {
      const h = headers();
      h.set('s', String(batch[0]!.seq));
      pub.publish(subject, encodeEnvelope({ kind: 'mutations', mutations: batch }), { headers: h });
    }, hosts, WRITES);
  } finally {
    await Promise.all([pub, ...subs].map((nc) => nc.close()));
  }
}

/** A receiver of the gRPC mesh: counts, then relays what it got to its other links, as a session does. */
class RelayingHost extends CountingHost {
  transport: ProtocolTransport | undefined;
  override onMutations(batch: readonly Mutation[], from?: string): void {
    super.onMutations(batch);
    this.transport?.publish(batch, from === undefined ? {} : { except: from });
  }
}

async function grpcFanOut(receivers: number): Promise<FanOut> {
  // A tree: receivers 0..FANOUT-1 dial the writer, receiver i dials receiver floor(i / FANOUT) - 1.
  const ports = await Promise.all(Array.from({ length: receivers + 1 }, () => freePort()));
  const parent = (i: number): number => (i < RELAY_FANOUT ? 0 : Math.floor(i / RELAY_FANOUT)); // index in ports
  const writer = new ProtocolTransport({ nodeId: 'w', clusterId: 'g', listeners: [grpcListener(`127.0.0.1:${ports[0]}`)], onError: () => undefined });
  const hosts = Array.from({ length: receivers }, () => new RelayingHost());
  const readers = hosts.map(
    (_, i) => new ProtocolTransport({ nodeId: `r${i}`, clusterId: 'g', listeners: [grpcListener(`127.0.0.1:${ports[i + 1]}`)], dialers: [grpcDialer(`127.0.0.1:${ports[parent(i)]}`)], onError: () => undefined }),
  );
  await writer.start(new CountingHost());
  for (const [i, r] of readers.entries()) {
    hosts[i]!.transport = r;
    await r.start(hosts[i]!);
  }
  try {
    await until(() => readers.reduce((n, r) => n + r.peers().length, 0) === 2 * receivers - Math.min(receivers, RELAY_FANOUT), 'every gRPC link up');
    return await measure((batch) => void writer.publish(batch), hosts, WRITES);
  } finally {
    await Promise.all([writer, ...readers].map((t) => t.close()));
  }
}

async function catchUp(url: string, run: string): Promise<{ fromLog: number; fromPeer: number }> {
  const clusterId = `catch${run}`;
  const stream = { storage: 'memory' as const };
  const writer = new NatsTransport({ nodeId: 'w', clusterId, servers: [url], stream, onError: () => undefined });
  const witness = new NatsTransport({ nodeId: 'x', clusterId, servers: [url], stream: false, onError: () => undefined });
  const writerHost = new CountingHost();
  await writer.start(writerHost);
  await witness.start(new CountingHost());
  try {
    for (const batch of batches('w', ENTRIES)) {
      writer.publish(batch);
      await turn();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    // From the log: a node that starts reads every batch before start() resolves.
    const late = new CountingHost();
    const reader = new NatsTransport({ nodeId: 'late', clusterId, servers: [url], stream, onError: () => undefined });
    let t = performance.now();
    await reader.start(late);
    const fromLog = late.count / ((performance.now() - t) / 1000);
    if (late.count !== ENTRIES) throw new Error(`bench: the log gave ${late.count} entries, not ${ENTRIES}`);
    // From a peer: the same entries, pulled page by page from the writer by request/reply.
    writerHost.entries = checkEntries(batches('w', ENTRIES).flat().map((m) => ({ path: `${m.path}.${m.seq}`, version: { hlc: m.hlc, origin: m.origin, seq: m.seq }, tombstone: false, type: m.type, payload: m.payload })));
    await until(() => reader.peers().some((p) => p.node === 'w'), 'the writer as a peer');
    let pulled = 0;
    t = performance.now();
    for await (const page of reader.requestSnapshot('w', { prefixes: [] })) pulled += page.entries.length;
    const fromPeer = pulled / ((performance.now() - t) / 1000);
    await reader.close();
    return { fromLog, fromPeer };
  } finally {
    await Promise.all([writer.close(), witness.close()]);
  }
}

const server = await startNatsServer();
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
try {
  console.log(`transport-nats bench: nats-server 2.9 on loopback, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, medians of ${RUNS} runs, ${WRITES.toLocaleString('en-US')} writes (batches of ${BATCH}, ${PAYLOAD}-byte values)`);
  for (const receivers of [10, 50]) {
    const nats: FanOut[] = [];
    const bare: FanOut[] = [];
    const grpc: FanOut[] = [];
    for (let run = 0; run < RUNS; run++) {
      bare.push(await bareNats(server.url, receivers, `${receivers}-${run}`));
      nats.push(await natsFanOut(server.url, receivers, `${receivers}-${run}`));
      grpc.push(await grpcFanOut(receivers));
    }
    const row = (name: string, xs: FanOut[]): string => `  ${name.padEnd(34)} ${fmt(median(xs.map((x) => x.perReceiver))).padStart(10)} writes/s per receiver   p99 ${median(xs.map((x) => x.p99Ms)).toFixed(1).padStart(7)} ms`;
    console.log(`fan-out to ${receivers} receivers`);
    console.log(row('statemesh over NATS', nats));
    console.log(row('bare NATS pub/sub (floor)', bare));
    console.log(row(`gRPC mesh, relay tree of fan-out ${RELAY_FANOUT}`, grpc));
    const ratio = (a: FanOut[], b: FanOut[]): string => (median(a.map((x) => x.perReceiver)) / median(b.map((x) => x.perReceiver))).toFixed(2);
    console.log(`  ratio NATS / floor ${ratio(nats, bare)}, NATS / gRPC ${ratio(nats, grpc)}`);
  }
  const catchUps: Array<{ fromLog: number; fromPeer: number }> = [];
  for (let run = 0; run < RUNS; run++) catchUps.push(await catchUp(server.url, String(run)));
  const log = median(catchUps.map((c) => c.fromLog));
  const peer = median(catchUps.map((c) => c.fromPeer));
  console.log(`catch-up of ${ENTRIES.toLocaleString('en-US')} entries`);
  console.log(`  from JetStream at start           ${fmt(log).padStart(10)} entries/s`);
  console.log(`  from a peer (request/reply pages) ${fmt(peer).padStart(10)} entries/s`);
  console.log(`  ratio log / peer ${(log / peer).toFixed(2)}; load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await server.stop();
}
