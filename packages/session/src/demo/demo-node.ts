// One node of the cluster demo, run as a child process: joins the cluster with the config passed as its first
// argument and answers the demo's requests over the Node IPC channel.
import { createHash } from 'node:crypto';
import { websocketListener } from '@statemesh/transport-websocket';
import { join } from '../join.js';
import type { SessionConfig } from '../config.js';
import type { NodeReply, NodeRequest } from './node-protocol.js';
import { percentile } from './stats.js';
import { volumeHandlers } from './volume-viewer.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SessionConfig;
const send = (message: unknown) => process.send?.(message);
// CLOCK_MONOTONIC: one clock for every process of this machine, so write-to-visible times compare across them.
const now = () => Number(process.hrtime.bigint()) / 1e6;

// `pnpm demo --web`: this node also takes browsers' WebSocket links (loopback, token in the first message).
const webPort = process.env['STATEMESH_DEMO_WEB_PORT'];
const webToken = process.env['STATEMESH_DEMO_WEB_TOKEN'];
delete process.env['STATEMESH_DEMO_WEB_TOKEN'];
const listeners = webPort === undefined ? [] : [websocketListener({ host: '127.0.0.1', port: Number(webPort), token: webToken })];

const started = now();
const session = await join(config, { log: (line) => send({ type: 'log', line }), listeners });
const joinMs = now() - started;

// Report every probe written elsewhere the moment it becomes visible here.
session.watch('demo.probe', (changes) => {
  const at = now();
  for (const change of changes) {
    if (change.from === 'local' || change.op !== 'set') continue;
    const value = session.get(change.path)?.value as { sentAt: number } | undefined;
    if (value !== undefined) send({ type: 'seen', node: config.nodeId, path: change.path, latencyMs: at - value.sentAt });
  }
});

// Latency recording for the benchmark: every change under a prefix carries the time it was written.
const recorders = new Map<string, { latencies: number[]; lastAt: number }>();

/** Writes `count` values at `ratePerSec` (0: as fast as possible), each stamped with its write time. */
async function load(prefix: string, ratePerSec: number, count: number, padBytes: number): Promise<{ written: number; elapsedMs: number }> {
  const pad = 'x'.repeat(padBytes);
  const t0 = now();
  let written = 0;
  while (written < count) {
    const due = ratePerSec === 0 ? count : Math.min(count, Math.floor(((now() - t0) / 1000) * ratePerSec) + 1);
    const stop = Math.min(due, written + 5000);
    for (; written < stop; written++) session.set(`${prefix}.k${written}`, { sentAt: now(), pad });
    await new Promise((resolve) => (ratePerSec === 0 ? setImmediate(resolve) : setTimeout(resolve, 1)));
  }
  await session.flush();
  return { written, elapsedMs: now() - t0 };
}

const handlers: Record<string, (...args: never[]) => unknown> = {
  load,
  record: (prefix: string) => {
    const recorder = { latencies: [] as number[], lastAt: 0 };
    recorders.set(prefix, recorder);
    session.watch(prefix, (changes) => {
      const at = now();
      for (const change of changes) {
        if (change.from === 'local' || change.op !== 'set') continue;
        const value = session.get(change.path)?.value as { sentAt?: number } | undefined;
        if (value?.sentAt !== undefined) recorder.latencies.push(at - value.sentAt);
      }
      recorder.lastAt = at;
    });
    return true;
  },
  // `percentiles` false: the count alone (a poll while writes arrive must not sort them all each time).
  recorded: (prefix: string, percentiles = true) => {
    const recorder = recorders.get(prefix);
    if (recorder === undefined) return { count: 0, p50: Number.NaN, p99: Number.NaN, lastAt: 0 };
    const { latencies } = recorder;
    if (!percentiles) return { count: latencies.length, p50: Number.NaN, p99: Number.NaN, lastAt: recorder.lastAt };
    return { count: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), lastAt: recorder.lastAt };
  },
  memory: () => process.memoryUsage().rss,
  memoryDetail: () => process.memoryUsage(),
  cpuMs: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
  joinInfo: () => ({ joinMs, entries: session.entries('').length, vector: session.vector() }),
  set: (path: string, value: unknown) => session.set(path, value).seq,
  probe: (path: string) => session.set(path, { sentAt: now() }).seq,
  writeMany: (prefix: string, count: number) => {
    for (let i = 0; i < count; i++) session.set(`${prefix}.${i}`, { i, note: `object ${i}` });
    return count;
  },
  get: (path: string) => session.get(path)?.value,
  count: (prefix: string) => session.entries(prefix).length,
  ...volumeHandlers(session),
  digest: () => session.digest(),
  versions: () =>
    Object.fromEntries(
      session.entries('').map((e) => [
        e.path,
        `${e.version.origin}#${e.version.seq}${e.pending ? ' pending' : ''} ${e.ref ? `ref ${e.ref.digest.slice(0, 8)}` : `bytes ${e.bytes ? sha256(e.bytes).slice(0, 8) : '?'}`}`,
      ]),
    ),
  status: () => session.status(),
  conflicts: () => session.recentConflicts(8).map((c) => ({ ...c, winner: { ...c.winner, hlc: String(c.winner.hlc) }, loser: { ...c.loser, hlc: String(c.loser.hlc) } })),
  metrics: () => {
    const m = session.metrics();
    return { remote: m.remote, conflicts: { detected: m.conflicts.detected, lost: m.conflicts.lost }, catchUps: m.catchUps, hydrations: m.hydrations };
  },
  close: async () => {
    await session.close();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', (message: NodeRequest) => {
  void (async () => {
    let reply: NodeReply;
    try {
      const handler = handlers[message.op];
      if (handler === undefined) throw new Error(`unknown request ${message.op}`);
      reply = { id: message.id, result: await (handler as (...args: unknown[]) => unknown)(...message.args) };
    } catch (error) {
      reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
    }
    send(reply);
  })();
});
process.on('disconnect', () => void session.close().then(() => process.exit(0)));
send({ type: 'ready', node: config.nodeId });

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
