// An independent peer over IPC (issue 12: PROTOCOL.md enough to write a compatible peer in another language): a
// Python 3 client written from wire's and transport-ipc's PROTOCOL.md and replication.proto alone, with protobuf
// classes from `protoc --python_out`, against a real `statemesh node` on a Unix socket. It exchanges Hellos, is
// refused with another cluster or no common version, receives a live write and a large value (fetched by chunk
// requests and verified), sends its own (acknowledged, and
// visible to `statemesh get`), has a write from a clock ahead refused without losing the link, pulls a catch-up by
// vector in pages, keeps the link with heartbeats (and loses it without), and ends it with a Goodbye. Every wait
// in the client is bounded: a node that stops answering fails the run.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AdminClient } from '@statemesh/cli';
import { nodeFolder, until } from './node-folder.ts';
import { REPLICATION_PROTO, pythonPeers } from './python-peer.ts';
import { statemesh } from './statemesh-process.ts';

const TOKEN = 'token-ipc-interop';
const HEARTBEAT_MS = 200;
const folder = nodeFolder('statemesh-ipc-interop-');
const peers = pythonPeers();

/** The arguments of ipc_peer.py: the node's socket, the schema, a folder, our cluster and id, the node's id, the mode. */
function peerArgs(socket: string, cluster: string, mode: string): string[] {
  return [socket, REPLICATION_PROTO, folder.dir(), cluster, 'py', 'a', mode];
}

/** Runs the peer in `mode` to its end: the event it ends with, once it exited 0. */
function finalEvent(socket: string, cluster: string, mode: string, event: string): Promise<Record<string, unknown>> {
  return peers.finalEvent('ipc_peer.py', peerArgs(socket, cluster, mode), event);
}

async function startNode(): Promise<{ socket: string; client: AdminClient; env: Record<string, string> }> {
  const socket = join(folder.dir(), 'a.sock');
  const node = await folder.start(['--cluster', 'py', '--id', 'a', '--listen', socket, '--admin', '127.0.0.1:0', '--heartbeat-ms', String(HEARTBEAT_MS)], { STATEMESH_TOKEN: TOKEN });
  return { socket, client: new AdminClient(node.adminUrl, TOKEN), env: { STATEMESH_NODE: node.adminUrl, STATEMESH_TOKEN: TOKEN } };
}

it('a Python peer written from PROTOCOL.md: Hellos, a live write, a large value by chunks, its own write acknowledged, a catch-up in pages, heartbeats, a Goodbye', async () => {
  const { socket, client, env } = await startNode();
  for (let i = 0; i < 4; i++) await client.set(`scene.pre.${i}`, i);
  const peer = peers.start('ipc_peer.py', peerArgs(socket, 'py', 'session'));

  const hello = await peer.event('hello');
  expect(hello).toMatchObject({ node: 'a', min: 1, max: 1, header_version: 1, heartbeat_ms: HEARTBEAT_MS, instance: true });
  const [origin] = Object.keys(hello['vector'] as object);
  expect(origin).toMatch(/^a(~[0-9a-z]+)?$/);
  expect(hello['vector']).toEqual({ [origin!]: 4 });

  const set = await statemesh(['set', 'scene.live', '{"from": "node"}'], env);
  expect(set).toMatchObject({ code: 0 });
  expect(await peer.event('live')).toMatchObject({ path: 'scene.live', origin, seq: 5, type: 'json', value: { from: 'node' }, header_version: 1 });

  // Random bytes over the 64 KiB inline limit: chunks that do not compress, so stored raw.
  const bytes = randomBytes(200 * 1024);
  writeFileSync(join(folder.dir(), 'big.bin'), bytes);
  const setBig = await statemesh(['set', 'scene.big', '--file', join(folder.dir(), 'big.bin'), '--type', 'bytes'], env);
  expect(setBig).toMatchObject({ code: 0 });
  const blob = await peer.event('blob');
  expect(blob).toMatchObject({ path: 'scene.big', size: bytes.length, length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), missing_found: false, missing_data: 0 });
  expect(blob['chunks']).toBeGreaterThanOrEqual(1);

  const acked = await peer.event('acked');
  const ours = acked['origin'] as string;
  expect(ours).toMatch(/^py~[0-9a-z]{13}$/);
  expect(acked['vector']).toEqual({ [origin!]: 6, [ours]: 1 });
  const get = await statemesh(['get', 'scene.python'], env);
  expect(get).toMatchObject({ code: 0 });
  expect(JSON.parse(get.stdout)).toEqual({ from: 'python' });

  const ahead = await peer.event('ahead-refused');
  expect(ahead).toMatchObject({ covered: false, vector: { [origin!]: 6, [ours]: 2 } });
  expect(await client.get('scene.ahead')).toBeUndefined();

  const catchup = await peer.event('catchup');
  const entries = catchup['entries'] as Array<{ path: string }>;
  // Everything a node at {a: 2} lacks: a's writes 3-6 and the peer's two; a hint of 2 entries per page.
  expect(entries.map((e) => e.path).sort()).toEqual(['scene.big', 'scene.live', 'scene.pre.2', 'scene.pre.3', 'scene.python', 'scene.python2']);
  expect((catchup['pages'] as number[]).length).toBeGreaterThanOrEqual(3);
  expect(catchup['vector']).toEqual({ [origin!]: 6, [ours]: 2 });

  const alive = await peer.event('alive');
  expect(alive['links']).toEqual(['py']);
  expect((await client.peers()).map((p) => [p.node, p.state])).toEqual([['py', 'up']]);
  peer.say('bye');
  await peer.event('goodbye');
  expect(await peer.exit).toBe(0);
  await until('the node to drop the peer after its Goodbye', async () => (await client.peers()).every((p) => p.node !== 'py' || p.state !== 'up'));
}, 90_000);

it('a Python peer of another cluster, or of no common version, is refused with a Goodbye that says why, its code machine-readable', async () => {
  const { socket } = await startNode();
  const refusal = await finalEvent(socket, 'elsewhere', 'refused', 'refused');
  expect(refusal['reasons']).toEqual([expect.stringMatching(/belongs to cluster elsewhere, this node a to py/)]);
  expect(refusal['codes']).toEqual(['CLUSTER_MISMATCH']);
  const mismatch = await finalEvent(socket, 'py', 'versions', 'refused');
  expect(mismatch['reasons']).toEqual([expect.stringMatching(/versions 2-3 and this node 1-1/)]);
  expect(mismatch['codes']).toEqual(['VERSION_MISMATCH']);
}, 60_000);

it('a Python peer that sends no heartbeats is cut after 5 of its announced intervals', async () => {
  const { socket } = await startNode();
  const cut = await finalEvent(socket, 'py', 'silent', 'cut');
  // Cut by the liveness rule (suspect after 3 silent intervals, dead after 5), not at once: the node went on
  // sending its heartbeats, one a tick, until the tick that found the peer dead.
  expect(cut['heartbeats']).toBeGreaterThanOrEqual(3);
}, 60_000);
