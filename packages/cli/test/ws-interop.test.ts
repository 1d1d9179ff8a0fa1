// An independent peer over WebSocket, as browsers and viewers link: a Python 3 client written from wire's and
// transport-websocket's PROTOCOL.md and replication.proto alone, on its own RFC 6455 client (no WebSocket
// library), against a real `statemesh node --web`. Its auth message with the right token is answered, a wrong or
// missing token and a first message that is not the auth message are refused with their close codes; it exchanges
// Hellos, answers nothing but what the documents say, receives a live write, sends its own (acknowledged, and
// visible to `statemesh get`), keeps the link with heartbeats (a link that only pings is cut), and ends it with a
// Goodbye. Oversized messages, messages that are not one frame and a Hello of another cluster are refused as
// documented. Every wait in the client is bounded: a node that stops answering fails the run.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AdminClient } from '@statemesh/cli';
import { nodeFolder, until } from './node-folder.ts';
import { REPLICATION_PROTO, pythonPeers } from './python-peer.ts';
import { statemesh } from './statemesh-process.ts';

const TOKEN = 'token-ws-interop-admin';
const WEB_TOKEN = 'token-ws-interop-web';
const HEARTBEAT_MS = 200;
const folder = nodeFolder('statemesh-ws-interop-');
const peers = pythonPeers();

/** The arguments of ws_peer.py: the node's WebSocket URL, the schema, a folder, our cluster and id, the node's id, the token, the mode. */
function peerArgs(url: string, mode: string, cluster = 'py'): string[] {
  return [url, REPLICATION_PROTO, folder.dir(), cluster, 'py', 'a', WEB_TOKEN, mode];
}

/** Runs the peer in `mode` to its end: the event it ends with, once it exited 0. */
function finalEvent(url: string, mode: string, event: string, cluster?: string): Promise<Record<string, unknown>> {
  return peers.finalEvent('ws_peer.py', peerArgs(url, mode, cluster), event);
}

/** `statemesh node --web`: its WebSocket endpoint (`ws://host:port/statemesh`), admin client and CLI env. */
async function startNode(): Promise<{ url: string; client: AdminClient; env: Record<string, string> }> {
  const node = await folder.start(['--cluster', 'py', '--id', 'a', '--listen', join(folder.dir(), 'a.sock'), '--admin', '127.0.0.1:0', '--heartbeat-ms', String(HEARTBEAT_MS), '--web', '127.0.0.1:0'], { STATEMESH_TOKEN: TOKEN, STATEMESH_WEB_TOKEN: WEB_TOKEN });
  await node.waitFor((events) => events.some((e) => e['event'] === 'web'), 20_000);
  const viewer = new URL(String(node.events.find((e) => e['event'] === 'web')!['url']));
  return { url: `ws://${viewer.host}/statemesh`, client: new AdminClient(node.adminUrl, TOKEN), env: { STATEMESH_NODE: node.adminUrl, STATEMESH_TOKEN: TOKEN } };
}

it('a Python WebSocket peer written from PROTOCOL.md: the auth message answered, Hellos, a ping answered, a live write, its own write acknowledged and applied, heartbeats, a Goodbye', async () => {
  const { url, client, env } = await startNode();
  const peer = peers.start('ws_peer.py', peerArgs(url, 'session'));
  await peer.event('ready');

  const hello = await peer.event('hello');
  expect(hello).toMatchObject({ node: 'a', min: 1, max: 1, header_version: 1, heartbeat_ms: HEARTBEAT_MS, instance: true, vector: {} });
  expect(await peer.event('pong')).toMatchObject({ same: true });

  const set = await statemesh(['set', 'scene.live', '{"from": "node"}'], env);
  expect(set).toMatchObject({ code: 0 });
  const live = await peer.event('live');
  expect(live).toMatchObject({ path: 'scene.live', seq: 1, type: 'json', value: { from: 'node' }, header_version: 1 });
  const origin = live['origin'] as string;
  expect(origin).toMatch(/^a(~[0-9a-z]+)?$/);

  const acked = await peer.event('acked');
  const ours = acked['origin'] as string;
  expect(ours).toMatch(/^py~[0-9a-z]{13}$/);
  expect(acked['vector']).toEqual({ [origin]: 1, [ours]: 1 });
  const get = await statemesh(['get', 'scene.python'], env);
  expect(get).toMatchObject({ code: 0 });
  expect(JSON.parse(get.stdout)).toEqual({ from: 'python over websocket' });

  const alive = await peer.event('alive');
  expect(alive['links']).toEqual(['py']);
  expect((await client.peers()).map((p) => [p.node, p.state])).toEqual([['py', 'up']]);
  peer.say('bye');
  // Our close frame after the Goodbye is answered with the node's, a normal close.
  expect(await peer.event('goodbye')).toMatchObject({ close: [1000, expect.any(String)] });
  expect(await peer.exit).toBe(0);
  await until('the node to drop the peer after its Goodbye', async () => (await client.peers()).every((p) => p.node !== 'py' || p.state !== 'up'));
}, 90_000);

it('a wrong or missing token is refused with 4401, a first message that is not the auth message with 4400', async () => {
  const { url, client } = await startNode();
  const tokens = await finalEvent(url, 'tokens', 'tokens');
  expect(tokens).toMatchObject({ wrong: [4401, expect.stringContaining('token')], missing: [4401, expect.stringContaining('token')] });
  // Both refusals counted (PROTOCOL.md: "counted").
  expect((await client.status()).metrics.transport.authFailures).toBe(2);
  const notAuth = await finalEvent(url, 'not-auth', 'not-auth');
  const refusals = notAuth['refusals'] as Record<string, [number, string]>;
  expect(Object.keys(refusals).sort()).toEqual(['binary', 'not-json', 'token-number', 'type', 'version']);
  for (const [code, reason] of Object.values(refusals)) {
    expect(code).toBe(4400);
    expect(reason).toContain('not a statemesh auth message');
  }
}, 60_000);

it('after the auth message: a first frame other than Hello, a text message, a message that is not exactly one frame, broken framing are refused with their close codes', async () => {
  const { url } = await startNode();
  const refusals = (await finalEvent(url, 'not-frames', 'not-frames'))['refusals'] as Record<string, [number, string]>;
  expect(refusals).toEqual({
    'heartbeat-first': [4422, expect.stringMatching(/^MALFORMED_FRAME: /)],
    'text': [4422, expect.stringContaining('text message')],
    'frame-and-a-byte': [4422, expect.any(String)],
    'two-frames': [4422, expect.stringContaining('not exactly one frame')],
    'part-of-a-frame': [4422, expect.stringContaining('not exactly one frame')],
    'unmasked': [1002, expect.any(String)],
  });
}, 60_000);

it('oversized messages are refused with 1009 from their frame header: an auth message over 4 KiB, a Hello over 64 KiB of body (one of exactly 64 KiB is accepted), a frame over 64 MiB', async () => {
  const { url } = await startNode();
  expect(await finalEvent(url, 'oversized', 'oversized')).toMatchObject({ auth: [1009, expect.any(String)], hello: [1009, expect.any(String)], frame: [1009, expect.any(String)] });
}, 60_000);

it('a Hello of another cluster gets a Goodbye with its code, then close code 4412 with a reason that starts with it', async () => {
  const { url } = await startNode();
  const refused = await finalEvent(url, 'refused', 'refused', 'elsewhere');
  expect(refused['goodbyes']).toEqual([{ code: 'CLUSTER_MISMATCH', reason: expect.stringMatching(/belongs to cluster elsewhere, this node a to py/) }]);
  expect(refused['close']).toEqual([4412, expect.stringMatching(/^CLUSTER_MISMATCH: /)]);
}, 60_000);

it('a peer that only sends WebSocket pings gets its pongs, and is cut as silent after 5 of its announced intervals all the same', async () => {
  const { url } = await startNode();
  const cut = await finalEvent(url, 'silent', 'cut');
  expect(cut['pongs']).toBeGreaterThanOrEqual(3);
  // Cut by the liveness rule (suspect after 3 silent intervals, dead after 5), not at once: the node went on
  // sending its heartbeats, one a tick, until the tick that found the peer dead.
  expect(cut['heartbeats']).toBeGreaterThanOrEqual(3);
  expect(cut['close']).toEqual([1000, expect.stringMatching(/^PEER_UNAVAILABLE: /)]);
}, 60_000);
