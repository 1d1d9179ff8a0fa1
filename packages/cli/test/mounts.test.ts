// Issue 13, finding 8 (authority per subtree) and finding 2 (clock skew on display), with real node processes over
// Unix sockets: `owner` is authoritative for scene.camera, `viewer` holds scene read-only, `other` writes freely.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '@statemesh/cli';
import { NodeProcess, statemesh } from './statemesh-process.ts';

const TOKENS = { owner: 'token-owner', other: 'token-other', viewer: 'token-viewer' } as const;
type Name = keyof typeof TOKENS;

let dir: string;
const nodes: Partial<Record<Name, NodeProcess>> = {};
const tokenFile = (name: Name) => join(dir, `${name}.token`);
const as = (name: Name) => ['--node', nodes[name]!.adminUrl, '--token-file', tokenFile(name)];
const client = (name: Name) => new AdminClient(nodes[name]!.adminUrl, TOKENS[name]);

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function mustSucceed(args: readonly string[]): Promise<void> {
  const result = await statemesh(args);
  if (result.code !== 0) throw new Error(`statemesh ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-mounts-'));
  for (const [name, token] of Object.entries(TOKENS)) writeFileSync(join(dir, `${name}.token`), `${token}\n`, { mode: 0o600 });
  const flags = (name: Name) => ['--cluster', 'm', '--id', name, '--listen', join(dir, `${name}.sock`), '--admin', '127.0.0.1:0', '--heartbeat-ms', '100', '--token-file', tokenFile(name)];
  nodes.owner = await NodeProcess.start([...flags('owner'), '--mount', 'scene.camera=authoritative', '--http-port', '0']);
  // The viewer's mount comes from its config file, as a deployment would give it.
  const config = join(dir, 'viewer-config'); // not .json: NodeProcess.start would wait for an HTTP endpoint
  writeFileSync(config, JSON.stringify({ mounts: [{ prefix: 'scene', mode: 'read-only' }] }));
  [nodes.other, nodes.viewer] = await Promise.all([
    NodeProcess.start([...flags('other'), '--seed', join(dir, 'owner.sock')]),
    NodeProcess.start([...flags('viewer'), '--config', config, '--seed', join(dir, 'owner.sock')]),
  ]);
  await until('the owner to see both peers up', async () => (await client('owner').peers()).filter((p) => p.state === 'up').length === 2);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(nodes).map((node) => node.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('statemesh node --mount', () => {
  it('authoritative: the owner refuses a peer\'s write under the mount and counts it in metrics and /metrics', async () => {
    await mustSucceed(['set', 'scene.camera.fov', '90', ...as('other')]); // accepted locally by other
    await mustSucceed(['set', 'scene.light', '"blue"', ...as('other')]);
    await until('the owner to take scene.light', async () => (await client('owner').get('scene.light')) !== undefined);
    await until('the refusal counted', async () => (await client('owner').status()).metrics.remote.rejected >= 1);
    expect(await client('owner').get('scene.camera.fov')).toBeUndefined();
    const text = await (await fetch(`${nodes.owner!.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^statemesh_remote_rejected_total\{node="owner",cluster="m"\} [1-9]/m);
  });

  it('authoritative: the owner\'s own writes under the mount reach its peers', async () => {
    await mustSucceed(['set', 'scene.camera.fov', '45', ...as('owner')]);
    await until('other to take the owner\'s write', async () => (await client('other').get('scene.camera.fov'))?.value === 45);
    await until('the viewer to take it (read-only refuses local writes only)', async () => (await client('viewer').get('scene.camera.fov'))?.value === 45);
    expect((await client('other').status()).metrics.remote.rejected).toBe(0);
  });

  it('read-only: a local statemesh set under the mount fails with exit 1 and a message naming the mount', async () => {
    const result = await statemesh(['set', 'scene.camera.fov', '10', ...as('viewer')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"scene.camera.fov" is under the read-only mount "scene" on node \'viewer\'');
    expect((await client('viewer').get('scene.camera.fov'))?.value).toBe(45);
    await mustSucceed(['set', 'notes.a', '1', ...as('viewer')]); // outside the mount
  });

  it('a malformed --mount is a usage error (exit 2) naming the flag, and the node does not start', async () => {
    for (const mount of ['scene.camera', 'scene.camera=owner']) {
      const result = await statemesh(['node', '--cluster', 'm', '--id', 'bad', '--listen', join(dir, 'bad.sock'), '--admin', 'off', '--mount', mount]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--mount must be prefix=mode');
    }
    const result = await statemesh(['node', '--cluster', 'm', '--id', 'bad', '--listen', join(dir, 'bad.sock'), '--admin', 'off', '--mount', 'a..b=read-only']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('config.mounts[0].prefix');
  });
});

describe('clock skew per peer', () => {
  it('statemesh peers shows a CLOCK SKEW column; statemesh status shows it beside each peer', async () => {
    await until('skews measured', async () => (await client('owner').peers()).every((p) => p.clockSkewMs !== undefined));
    for (const peer of await client('owner').peers()) expect(Math.abs(peer.clockSkewMs!)).toBeLessThan(1000); // one machine, one clock
    const peers = await statemesh(['peers', ...as('owner')]);
    expect(peers.code).toBe(0);
    expect(peers.stdout).toMatch(/CLOCK SKEW/);
    // Then LINKS: whom the peer announced it is linked to, this node among them.
    expect(peers.stdout).toMatch(/^other\s+up\s+\d+ ms\s+\d+\s+(0 ms|[+-]\d+ ms (ahead|behind))\s+(\S+,)?owner(,\S+)?$/m);
    const status = await statemesh(['status', ...as('owner')]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^peers\s+2 up: .*other up \(clock (0 ms|[+-]\d+ ms (ahead|behind))\)/m);
  });

  it('/metrics has a statemesh_peer_clock_skew_seconds gauge per peer and passes promtool check metrics', async () => {
    const text = await (await fetch(`${nodes.owner!.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^# TYPE statemesh_peer_clock_skew_seconds gauge$/m);
    for (const peer of ['other', 'viewer']) expect(text).toMatch(new RegExp(`^statemesh_peer_clock_skew_seconds\\{node="owner",cluster="m",peer="${peer}"\\} -?\\d`, 'm'));
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
