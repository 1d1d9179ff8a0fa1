// A real partition: two `statemesh node` processes in two Linux network namespaces (needs root and iproute2),
// linked by gRPC with TLS and a link token across a veth pair. The link is cut (a's end of the pair down: packets
// dropped, no FIN, no RST), both sides write (the same path too), the link heals; then b is SIGKILLed during a
// second cut (blackhole routes: the interfaces stay up) and restarted from its data dir; last, a one-way cut.
// Both must notice each cut by heartbeats, redial, and converge with every acknowledged write and the conflict on
// both sides (docs/design.md sections 2, 3 and 8). About 25 s.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, type NodeStatusView } from '@statemesh/cli';
import { certificatesForNodes } from './address-certificate.ts';
import { NamespaceBridge } from './namespace-admin-bridge.ts';
import { NamespacePair, canMakeNamespaces, removeStaleNamespaces, type CutKind } from './network-namespaces.ts';
import { until } from './node-folder.ts';
import { NodeProcess } from './statemesh-process.ts';

const HEARTBEAT_MS = 500;
/**
 * DESIGN section 3: silent for 5 intervals is dead; plus slack for a loaded machine. It stays below what gRPC's
 * HTTP/2 keepalive takes to drop a dead connection (a ping after 10 s, 5 s to answer), so a peer dropped by
 * keepalive instead of by heartbeats fails the test (checked by making heartbeats never declare a peer dead).
 */
const LIVENESS_BOUND_MS = 5 * HEARTBEAT_MS + 6_000;
/** Redial backoff is at most 5 s (protocol's reconnect.maxMs), plus the TLS handshake and catch-up. */
const RECONNECT_BOUND_MS = 30_000;
const GRPC_PORT = 7000;
const ADMIN_PORT = 7700;
const TOKENS = { a: 'admin-token-a', b: 'admin-token-b' } as const;
type Name = keyof typeof TOKENS;

let pair: NamespacePair | undefined;
let dir = '';
const nodes: Partial<Record<Name, NodeProcess>> = {};
const bridges: Partial<Record<Name, NamespaceBridge>> = {};
const admin = (name: Name) => new AdminClient(bridges[name]!.url, TOKENS[name]);
const other = (name: Name): Name => (name === 'a' ? 'b' : 'a');

/** Starts node `name` in its namespace (a listens; b also dials a) and opens its admin bridge. */
async function startNode(name: Name): Promise<void> {
  const ns = name === 'a' ? pair!.a : pair!.b;
  nodes[name] = await NodeProcess.start(['--config', join(dir, `${name}.conf`)], {}, pair!.exec(ns));
  bridges[name] ??= await NamespaceBridge.open(pair!.exec(ns), join(dir, `${name}-admin.sock`), ADMIN_PORT);
}

/** The state in which `name` lists its peer (undefined: not listed, it is down). */
async function peerState(name: Name): Promise<string | undefined> {
  return (await admin(name).peers()).find((peer) => peer.node === other(name))?.state;
}

/** The events `name` printed about its peer's state, in order. */
const peerEvents = (name: Name, from = 0) => nodes[name]!.events.slice(from).filter((e) => e['event'] === 'peer').map((e) => e['state']);

async function cutAndNotice(how: CutKind): Promise<void> {
  const from = { a: nodes.a!.events.length, b: nodes.b!.events.length };
  pair!.cut(how);
  // Both within the bound, counted from the cut.
  await Promise.all((['a', 'b'] as const).map((name) => nodes[name]!.waitFor(() => peerEvents(name, from[name]).includes('gone'), LIVENESS_BOUND_MS)));
  for (const name of ['a', 'b'] as const) {
    expect(await peerState(name)).toBeUndefined();
    // Through `suspect`: heartbeats went missing (a socket error would drop the peer at once, never suspect).
    expect(peerEvents(name, from[name])).toEqual(['suspect', 'gone']);
  }
}

/** Waits until each node lists the other up and printed so after event `from` (a later cut counts only later events). */
async function untilLinked(from: Record<Name, number>, when: string): Promise<void> {
  for (const name of ['a', 'b'] as const) {
    await nodes[name]!.waitFor(() => peerEvents(name, from[name]).includes('up'), RECONNECT_BOUND_MS);
    await until(`${name} to see ${other(name)} up ${when}`, async () => (await peerState(name)) === 'up', RECONNECT_BOUND_MS);
  }
}

async function healAndConverge(): Promise<[NodeStatusView, NodeStatusView]> {
  const from = { a: nodes.a!.events.length, b: nodes.b!.events.length };
  pair!.heal();
  await untilLinked(from, 'after the heal');
  let statuses: [NodeStatusView, NodeStatusView] | undefined;
  await until('a and b to hold the same tree', async () => {
    statuses = [await admin('a').status(), await admin('b').status()];
    return statuses[0].digest === statuses[1].digest;
  }, RECONNECT_BOUND_MS);
  return statuses!;
}

const values = async (name: Name) => Object.fromEntries((await admin(name).entries('app')).map((entry) => [entry.path, entry.value]));

beforeAll(async () => {
  if (!canMakeNamespaces()) throw new Error('this test runs as root with iproute2 (/usr/sbin/ip): it makes network namespaces; run `node scripts/system-deps.mjs` as root');
  removeStaleNamespaces();
  pair = NamespacePair.create();
  dir = mkdtempSync(join(tmpdir(), 'statemesh-netns-'));
  const tls = certificatesForNodes({ a: pair.addressA, b: pair.addressB });
  const address = { a: `${pair.addressA}:${GRPC_PORT}`, b: `${pair.addressB}:${GRPC_PORT}` };
  for (const name of ['a', 'b'] as const) {
    writeFileSync(join(dir, `${name}.conf`), JSON.stringify({
      clusterId: 'partition',
      nodeId: name,
      transport: 'grpc',
      listen: address[name],
      seeds: name === 'b' ? [address.a] : [],
      dataDir: join(dir, `${name}-data`),
      heartbeatIntervalMs: HEARTBEAT_MS,
      tls: { ...tls.nodes[name], ca: tls.ca },
      auth: { expectedToken: 'link-token-partition', outboundToken: 'link-token-partition' },
      admin: { listen: `127.0.0.1:${ADMIN_PORT}`, token: TOKENS[name] },
    }), { mode: 0o600 });
  }
  await startNode('a');
  await startNode('b');
  await untilLinked({ a: 0, b: 0 }, 'over the veth pair');
}, 90_000);

afterAll(async () => {
  await Promise.all(Object.values(nodes).map((node) => node.stop('SIGKILL')));
  await Promise.all(Object.values(bridges).map((bridge) => bridge.close()));
  pair?.destroy();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('two nodes in two network namespaces', () => {
  it('replicate over gRPC across the veth pair; replicated:1 resolves', async () => {
    const written = await admin('a').set('app.before', 'before the cut', { wait: { level: 'replicated', peers: 1 }, waitMs: 20_000 });
    expect(written.wait).toBe('replicated:1');
    expect((await admin('b').get('app.before'))?.value).toBe('before the cut');
  });

  it('notice a cut (link down) by heartbeats, write on both sides, and converge when it heals', async () => {
    await cutAndNotice('link-down');
    const durable = { wait: { level: 'durable' as const }, waitMs: 20_000 };
    await admin('a').set('app.only-a', 1, durable);
    await admin('b').set('app.only-b', 2, durable);
    const first = await admin('a').set('app.same', 'from a', durable);
    const second = await admin('b').set('app.same', 'from b', durable);
    // Nobody can acknowledge a write across the cut.
    await expect(admin('a').set('app.unacknowledged', 3, { wait: { level: 'replicated', peers: 1 }, waitMs: 1_000 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    // A write that waits for b through the cut is answered once the link heals.
    const waiting = admin('a').set('app.waited', 4, { wait: { level: 'replicated', peers: 1 }, waitMs: 60_000 });

    const [a, b] = await healAndConverge();
    expect(a.vector).toEqual(b.vector);
    expect((await waiting).wait).toBe('replicated:1');
    const expected = { 'app.before': 'before the cut', 'app.only-a': 1, 'app.only-b': 2, 'app.unacknowledged': 3, 'app.waited': 4 };
    expect(await values('a')).toMatchObject(expected);
    expect(await values('b')).toEqual(await values('a'));
    // The same path on both sides: last writer wins everywhere, and each side records the conflict once.
    const [winner, loser] = BigInt(first.version.hlc) > BigInt(second.version.hlc) || (first.version.hlc === second.version.hlc && first.version.origin > second.version.origin) ? [first, second] : [second, first];
    expect((await values('a'))['app.same']).toBe(winner === first ? 'from a' : 'from b');
    const side = (write: typeof first) => ({ origin: write.version.origin, seq: write.version.seq, hlc: write.version.hlc });
    for (const name of ['a', 'b'] as const) {
      const conflicts = (await admin(name).conflicts()).filter((conflict) => conflict.path === 'app.same');
      expect({ name, conflicts }).toMatchObject({ name, conflicts: [{ winner: side(winner), loser: side(loser) }] });
    }
  });

  it('converge after b is SIGKILLed during a cut (blackhole routes) and restarted from its data dir', async () => {
    await cutAndNotice('blackhole');
    const durable = { wait: { level: 'durable' as const }, waitMs: 20_000 };
    await admin('a').set('app.crash-a', 'a during the cut', durable);
    await admin('b').set('app.crash-b', 'b before its crash', durable);
    await nodes.b!.stop('SIGKILL');
    await startNode('b');
    // Recovered from its disk, with no peer reachable.
    expect((await admin('b').get('app.crash-b'))?.value).toBe('b before its crash');
    await admin('b').set('app.crash-b2', 'b after its restart', durable);
    await until('a to see the restarted b is not there', async () => (await peerState('a')) !== 'up', LIVENESS_BOUND_MS);

    const [a, b] = await healAndConverge();
    expect(a.vector).toEqual(b.vector);
    const got = await values('b');
    expect(got).toEqual(await values('a'));
    expect(got).toMatchObject({ 'app.before': 'before the cut', 'app.only-a': 1, 'app.only-b': 2, 'app.crash-a': 'a during the cut', 'app.crash-b': 'b before its crash', 'app.crash-b2': 'b after its restart' });
  });

  it('notice a one-way cut (what a sends is dropped, what b sends arrives) on both sides, and converge', async () => {
    await cutAndNotice('a-to-b');
    const durable = { wait: { level: 'durable' as const }, waitMs: 20_000 };
    await admin('a').set('app.one-way-a', 'a, unheard', durable);
    await admin('b').set('app.one-way-b', 'b, heard but unanswered', durable);
    const [a, b] = await healAndConverge();
    expect(a.vector).toEqual(b.vector);
    expect(await values('a')).toMatchObject({ 'app.one-way-a': 'a, unheard', 'app.one-way-b': 'b, heard but unanswered', 'app.crash-b2': 'b after its restart' });
    expect(await values('b')).toEqual(await values('a'));
  });
});
