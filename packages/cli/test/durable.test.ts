// Durable replicas with real processes and real files (issue 15): `statemesh node --data`, writes acknowledged
// `durable` or `replicated:N`, nodes killed with SIGKILL (all at once, too) and restarted from their disks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminClient } from '@statemesh/cli';
import { isStatemeshError } from '@statemesh/session';
import { NodeProcess, statemesh } from './statemesh-process.ts';

const TOKEN = 'token-durable';
const ENV = { STATEMESH_TOKEN: TOKEN };
let dir: string;
const running = new Set<NodeProcess>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'statemesh-durable-'));
});

afterEach(async () => {
  await Promise.all([...running].map((node) => node.stop('SIGKILL')));
  running.clear();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const socket = (name: string) => join(dir, `${name}.sock`);
const dataDir = (name: string) => join(dir, `data-${name}`);

/** Starts node `name` with its data dir, dialing `seeds`. */
async function start(name: string, seeds: readonly string[], extra: readonly string[] = []): Promise<{ node: NodeProcess; client: AdminClient }> {
  const args = ['--cluster', 't', '--id', name, '--listen', socket(name), '--admin', '127.0.0.1:0', '--heartbeat-ms', '100', '--data', dataDir(name), ...seeds.flatMap((s) => ['--seed', socket(s)]), ...extra];
  const node = await NodeProcess.start(args, ENV);
  running.add(node);
  return { node, client: new AdminClient(node.adminUrl, TOKEN) };
}

async function kill(node: NodeProcess): Promise<void> {
  await node.stop('SIGKILL');
  running.delete(node);
}

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('statemesh node --data', () => {
  it('every write acknowledged durable survives SIGKILL of all three nodes at once mid-burst, and they converge', async () => {
    const a = await start('a', []);
    const b = await start('b', ['a']);
    const c = await start('c', ['a', 'b']);
    await until('a full mesh', async () => (await Promise.all([a, b, c].map((n) => n.client.peers()))).every((peers) => peers.filter((p) => p.state === 'up').length === 2));
    // Three writers, one per node, each acknowledging its writes durable, with several requests in flight.
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (name: string, client: AdminClient) => {
      for (let i = 0; !stop; i += 4) {
        const paths = [0, 1, 2, 3].map((k) => `burst.${name}.w${i + k}`);
        const results = await Promise.allSettled(paths.map((path) => client.set(path, i, { wait: { level: 'durable' }, waitMs: 10_000 })));
        results.forEach((result, k) => {
          if (result.status === 'fulfilled') acknowledged.push(paths[k]!);
        });
      }
    };
    const writers = [writer('a', a.client), writer('b', b.client), writer('c', c.client)];
    await until('a burst under way', () => acknowledged.length >= 150);
    await Promise.all([a, b, c].map((n) => kill(n.node))); // all at once, mid-burst
    stop = true;
    await Promise.all(writers);
    const acked = [...acknowledged];
    expect(acked.length).toBeGreaterThanOrEqual(150);

    const again = [await start('a', ['b', 'c']), await start('b', ['a', 'c']), await start('c', ['a', 'b'])];
    await until('the three to converge', async () => new Set((await Promise.all(again.map((n) => n.client.status()))).map((s) => s.digest)).size === 1, 30_000);
    for (const node of again) {
      const held = new Set((await node.client.entries('burst')).map((e) => e.path));
      expect(acked.filter((path) => !held.has(path))).toEqual([]);
    }
    const status = await again[0]!.client.status();
    expect(status.store?.logRecords).toBeGreaterThan(0);
    const shown = await statemesh(['status', '--node', again[0]!.node.adminUrl], ENV);
    expect(shown.stdout).toMatch(/^store {7}.* on disk \(batched\), log \d+ records/m);
  }, 180_000);

  it('a write acknowledged replicated:2 is on both peers even with the writer killed and its data dir deleted', async () => {
    const a = await start('a', []);
    const b = await start('b', ['a']);
    const c = await start('c', ['a', 'b']);
    await until('a to see two peers', async () => (await a.client.peers()).filter((p) => p.state === 'up').length === 2);
    const set = await statemesh(['set', 'scene.precious', '"kept"', '--wait', 'replicated:2', '--wait-ms', '15000', '--node', a.node.adminUrl], ENV);
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/^set scene\.precious \(a~[0-9a-z]+#\d+\), replicated:2$/m);
    await kill(a.node);
    rmSync(dataDir('a'), { recursive: true, force: true });
    for (const peer of [b, c]) expect((await peer.client.get('scene.precious'))?.value).toBe('kept');
    // The peers acknowledged it only once it was on their disks: they keep it across their own crash too.
    await Promise.all([kill(b.node), kill(c.node)]);
    const b2 = await start('b', ['c']);
    const c2 = await start('c', ['b']);
    for (const peer of [b2, c2]) expect((await peer.client.get('scene.precious'))?.value).toBe('kept');
    const timeout = await statemesh(['set', 'x', '1', '--wait', 'replicated:3', '--wait-ms', '300', '--node', b2.node.adminUrl], ENV);
    expect(timeout.code).not.toBe(0);
    expect(timeout.stderr).toMatch(/TIMEOUT|acknowledged by/);
  }, 180_000);

  it('a node whose peers are all down comes back from its disk alone', async () => {
    const a = await start('a', ['b']); // b never starts
    const version = await a.client.set('scene.alone', { n: 1 }, { wait: { level: 'durable' } });
    expect(version.wait).toBe('durable');
    await a.client.setText('scene.note', 'from disk', { wait: { level: 'durable' } });
    await kill(a.node);
    const again = await start('a', ['b']);
    expect((await again.client.get('scene.alone'))?.value).toEqual({ n: 1 });
    expect((await again.client.get('scene.note'))?.value).toBe('from disk');
    const next = await again.client.set('scene.after', 2, { wait: { level: 'durable' } });
    expect(next.version.origin).toBe(version.version.origin); // the same incarnation
    expect(next.version.seq).toBeGreaterThan(version.version.seq);
  }, 120_000);

  it('the admin API answers a wait it cannot reach with 504 TIMEOUT, and durable without --data with INVALID_CONFIG', async () => {
    const a = await start('a', []);
    const timeout = await rejection(a.client.set('k', 1, { wait: { level: 'replicated', peers: 2 }, waitMs: 200 }));
    expect(isStatemeshError(timeout, 'TIMEOUT')).toBe(true);
    const bad = await statemesh(['set', 'k', '1', '--wait', 'sometimes', '--node', a.node.adminUrl], ENV);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/wait must be local, durable or replicated:N/);
    const plain = await NodeProcess.start(['--cluster', 't', '--id', 'p', '--listen', socket('p'), '--admin', '127.0.0.1:0'], ENV);
    running.add(plain);
    const refused = await rejection(new AdminClient(plain.adminUrl, TOKEN).set('k', 1, { wait: { level: 'durable' } }));
    expect(isStatemeshError(refused, 'INVALID_CONFIG')).toBe(true);
    expect((await new AdminClient(plain.adminUrl, TOKEN).status()).store).toBeUndefined();
  }, 120_000);
});
