// A vector never claims a write the replica did not apply (DESIGN section 2, issue 13 finding 2): a node with a
// data dir that took only `a` counted the `b` writes its interest gate turned away as seen; restarted with
// interests `a,b`, it must not trust that vector, or catch-up never brings the `b` writes made before.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AdminClient } from '@statemesh/cli';
import { nodeFolder, until } from './node-folder.ts';
import type { NodeProcess } from './statemesh-process.ts';

const TOKEN = 'token-widened';
const ENV = { STATEMESH_TOKEN: TOKEN };
const folder = nodeFolder('statemesh-widened-');
const socket = (name: string) => join(folder.dir(), `${name}.sock`);

async function start(name: string, seeds: readonly string[], extra: readonly string[] = []): Promise<{ node: NodeProcess; client: AdminClient }> {
  const args = ['--cluster', 'w', '--id', name, '--listen', socket(name), '--admin', '127.0.0.1:0', '--heartbeat-ms', '100', ...seeds.flatMap((s) => ['--seed', socket(s)]), ...extra];
  const node = await folder.start(args, ENV);
  return { node, client: new AdminClient(node.adminUrl, TOKEN) };
}

/** SHA-256 of every value under `prefix` with its path, version and value: equal on replicas holding the same subtree. */
async function digestOf(client: AdminClient, prefix: string): Promise<string> {
  const entries = await client.entries(prefix);
  const lines = entries.map((e) => JSON.stringify([e.path, e.version, e.value])).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

async function writeBoth(client: AdminClient, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    await client.set(`a.k${i}`, i);
    await client.set(`b.k${i}`, i);
  }
}

it('a node restarted from its data dir with wider interests gets every write its old interests turned away', async () => {
  const p = await start('p', []);
  const q = await start('q', ['p']);
  const data = join(folder.dir(), 'data-x');
  let x = await start('x', ['p', 'q'], ['--data', data, '--interest', 'a']);
  await until('x linked to both', async () => (await x.client.peers()).filter((peer) => peer.state === 'up').length === 2);
  await writeBoth(p.client, 1, 10);
  await writeBoth(q.client, 1, 5);
  // x has taken the a writes; its gate turned the b writes away and counted them as seen.
  await until('x to hold every a write', async () => (await x.client.entries('a')).length === 10);
  await until('x to see the last b write', async () => {
    const status = await x.client.status();
    const vector = Object.entries(status.vector);
    return vector.some(([origin, seq]) => origin.startsWith('p') && seq >= 20) && vector.some(([origin, seq]) => origin.startsWith('q') && seq >= 10);
  });
  expect(await x.client.entries('b')).toEqual([]);
  await folder.stop(x.node, 'SIGTERM');

  await writeBoth(p.client, 11, 15);
  x = await start('x', ['p', 'q'], ['--data', data, '--interest', 'a', '--interest', 'b']);
  await until('x to hold every b write', async () => (await x.client.entries('b')).length === 15, 30_000);
  const expected = await digestOf(p.client, 'b');
  expect(await digestOf(q.client, 'b')).toBe(expected);
  expect(await digestOf(x.client, 'b')).toBe(expected);
  expect(await digestOf(x.client, 'a')).toBe(await digestOf(p.client, 'a'));
}, 120_000);
