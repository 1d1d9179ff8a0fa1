// IPC over TCP takes a token (DESIGN section 7, issue 13 finding 7), with real node processes: a node listening on
// loopback TCP without one refuses to start and says how to give one; with one (a file or the environment) nodes
// link, and a node with another token is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AdminClient } from '@statemesh/cli';
import { freePort } from '@statemesh/contracts/testing';
import { nodeFolder, until } from './node-folder.ts';
import { statemesh, type NodeProcess } from './statemesh-process.ts';

const TOKEN = 'token-link-admin';
const folder = nodeFolder('statemesh-link-token-');

async function start(args: readonly string[], env: Record<string, string>): Promise<{ node: NodeProcess; client: AdminClient }> {
  const node = await folder.start(['--cluster', 'lt', '--admin', '127.0.0.1:0', '--heartbeat-ms', '100', ...args], { STATEMESH_TOKEN: TOKEN, ...env });
  return { node, client: new AdminClient(node.adminUrl, TOKEN) };
}

it('a node listening on loopback TCP without a link token refuses to start, and says how to give one', async () => {
  const listen = `tcp://127.0.0.1:${await freePort()}`;
  const result = await statemesh(['node', '--cluster', 'lt', '--id', 'a', '--listen', listen, '--admin', '127.0.0.1:0'], { STATEMESH_TOKEN: TOKEN });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/INVALID_CONFIG|refusing to listen/);
  expect(result.stderr).toMatch(/--link-token-file <file>.*\$STATEMESH_LINK_TOKEN.*Unix socket.*"insecure": true/s);
});

it('nodes with the token from a file or the environment link over TCP; a node with another token is refused', async () => {
  const listen = `tcp://127.0.0.1:${await freePort()}`;
  const tokenFile = join(folder.dir(), 'link.token');
  writeFileSync(tokenFile, 'link-token-0123456789\n', { mode: 0o600 });
  const a = await start(['--id', 'a', '--listen', listen, '--link-token-file', tokenFile], {});
  const b = await start(['--id', 'b', '--listen', join(folder.dir(), 'b.sock'), '--seed', listen], { STATEMESH_LINK_TOKEN: 'link-token-0123456789' });
  await b.client.set('scene.ok', 1);
  await until('a to get b’s write', async () => (await a.client.get('scene.ok'))?.value === 1);
  const intruder = await start(['--id', 'x', '--listen', join(folder.dir(), 'x.sock'), '--seed', listen], { STATEMESH_LINK_TOKEN: 'another-token-987654' });
  await intruder.client.set('scene.forged', 1);
  await until('a to refuse the intruder', async () => (await a.client.status()).metrics.transport.authFailures >= 1);
  expect(await a.client.get('scene.forged')).toBeUndefined();
  expect((await a.client.peers()).map((peer) => peer.node)).toEqual(['b']);
}, 60_000);
