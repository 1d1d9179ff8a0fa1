// The command line itself, in process: help, usage errors and config validation need no running node.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/session';
import { manifestBytes, orthographic } from './brick-manifest-bytes.ts';
import { AdminClient, COMMANDS, EXIT_CODES, resolveNodeConfig, runCli, selectBricks, startNode, type NodeConfig, type Terminal } from '@statemesh/cli';
import { parseHydrate } from '../src/node-config.ts';
import { NodeProcess } from './statemesh-process.ts';

function fakeTerminal(env: Record<string, string> = {}): Terminal & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: (line) => stderr.push(line),
    progressDone: () => undefined,
    env,
    onInterrupt: () => () => undefined,
  };
}

describe('help', () => {
  it('lists every command; no command at all is a usage error', async () => {
    const terminal = fakeTerminal();
    expect(await runCli(['--help'], terminal)).toBe(EXIT_CODES.ok);
    for (const name of ['node', 'status', 'get', 'set', 'delete', 'ls', 'watch', 'conflicts', 'peers', 'demo']) {
      expect(terminal.stdout.join('\n')).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(terminal.stdout.join('\n')).toMatch(/Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 refused/);
    expect(await runCli([], fakeTerminal())).toBe(EXIT_CODES.usage);
  });

  it('--version prints the package version', async () => {
    const terminal = fakeTerminal();
    expect(await runCli(['--version'], terminal)).toBe(EXIT_CODES.ok);
    expect(terminal.stdout).toEqual([JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version]);
  });

  it.each(COMMANDS.map((command) => command.name))('statemesh %s --help prints its usage and exits 0', async (name) => {
    const terminal = fakeTerminal();
    expect(await runCli([name, '--help'], terminal)).toBe(EXIT_CODES.ok);
    expect(terminal.stdout.join('\n')).toContain(`Usage: statemesh ${name}`);
    const viaHelp = fakeTerminal();
    expect(await runCli(['help', name], viaHelp)).toBe(EXIT_CODES.ok);
    expect(viaHelp.stdout).toEqual(terminal.stdout);
  });
});

describe('usage errors exit 2 and do nothing', () => {
  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['get'], /expected 1 argument/],
    [['get', 'a', 'b'], /expected 1 argument/],
    [['status', '--colour'], /Unknown option '--colour'/],
    [['set', 'a.b', 'not json'], /is not JSON/],
    [['set', 'a.b'], /a value or --file <file>, not neither/],
    [['get', 'a', '--wait-ms', 'soon'], /--wait-ms must be a whole number/],
    [['node', '--listen', '/tmp/x.sock'], /--cluster <id> --id <node>/],
    [['node', '--config', '/nonexistent/node.json'], /cannot read the config file/],
    [['node', '--cluster', 'c', '--id', 'bad id!', '--listen', '/tmp/x.sock'], /config\.nodeId/],
    [['node', '--cluster', 'c', '--id', 'n', '--listen', '/tmp/x.sock', '--hydrate', ' , '], /--hydrate must be eager, lazy or a comma-separated list/],
  ])('statemesh %j', async (argv, message) => {
    const terminal = fakeTerminal({ STATEMESH_NODE: 'http://127.0.0.1:1' });
    expect(await runCli(argv, terminal)).toBe(EXIT_CODES.usage);
    expect(terminal.stderr.join('\n')).toMatch(message);
  });
});

describe('node config', () => {
  const base: NodeConfig = { clusterId: 'c', nodeId: 'n', listen: '/tmp/n.sock' };
  const field = (config: NodeConfig): unknown => {
    try {
      resolveNodeConfig(config);
      return undefined;
    } catch (error) {
      return isStatemeshError(error, 'INVALID_CONFIG') ? error.details?.['field'] : error;
    }
  };

  it('defaults: admin on 127.0.0.1:7700, HTTP off', () => {
    expect(resolveNodeConfig(base)).toEqual({ session: base, admin: { host: '127.0.0.1', port: 7700, token: undefined, maxValueBytes: 2 ** 30 }, http: undefined, allowedHosts: [] });
    expect(resolveNodeConfig({ ...base, admin: false, http: { port: 8080 } })).toMatchObject({ admin: undefined, http: { host: '127.0.0.1', port: 8080 } });
    expect(resolveNodeConfig({ ...base, admin: { listen: '[::1]:0' } }).admin).toMatchObject({ host: '::1', port: 0 });
  });

  it('names the field at fault', () => {
    expect(field({ ...base, admin: { listen: 'localhost' } })).toBe('admin.listen');
    expect(field({ ...base, admin: { token: 'short' } })).toBe('admin.token');
    expect(field({ ...base, admin: { listen: '127.0.0.1:1', tokne: 'x' } as never })).toBe('admin.tokne');
    expect(field({ ...base, http: { port: 70_000 } })).toBe('http.port');
    expect(field({ ...base, http: { port: 80, path: '/' } as never })).toBe('http.path');
    expect(field({ ...base, nodeId: '' })).toBe('nodeId');
    expect(field({ ...base, seeds: 'a' as never })).toBe('seeds');
  });
});

describe('statemesh node --hydrate', () => {
  it('parses eager, lazy and a comma-separated list of prefixes', () => {
    expect(parseHydrate('eager')).toBe('eager');
    expect(parseHydrate('lazy')).toBe('lazy');
    expect(parseHydrate('scene, app.meshes,')).toEqual(['scene', 'app.meshes']);
    expect(() => parseHydrate('')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('reaches the session: a lazy node fetches no large value, a prefix list only those under its prefixes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-hydrate-'));
    const writer = await startNode({ clusterId: 'h', nodeId: 'w', listen: join(dir, 'w.sock'), heartbeatIntervalMs: 200, admin: false });
    const started: NodeProcess[] = [];
    try {
      // Two values over the inline limit: replicated as references, fetched as the hydration policy says.
      writer.session.setText('big.wanted', 'w'.repeat(300_000));
      writer.session.setText('other.skipped', 's'.repeat(300_000));
      await writer.session.flush();
      const flags = (id: string, hydrate: string) => ['--cluster', 'h', '--id', id, '--listen', join(dir, `${id}.sock`), '--seed', join(dir, 'w.sock'), '--admin', '127.0.0.1:0', '--heartbeat-ms', '200', '--token-file', join(dir, 'token'), '--hydrate', hydrate];
      writeFileSync(join(dir, 'token'), 'token-hydrate\n', { mode: 0o600 });
      started.push(...(await Promise.all([NodeProcess.start(flags('some', 'big,app')), NodeProcess.start(flags('none', 'lazy'))])));
      const [some, none] = started.map((node) => new AdminClient(node.adminUrl, 'token-hydrate')) as [AdminClient, AdminClient];
      await until('the prefix-list node to fetch big.wanted', async () => (await some.get('big.wanted'))?.pending === false);
      await until('the lazy node to hear of both values', async () => (await none.get('big.wanted')) !== undefined && (await none.get('other.skipped')) !== undefined);
      // By now the prefix-list node has fetched what it wants; values outside its prefixes are never fetched unasked.
      expect(await some.get('other.skipped')).toMatchObject({ pending: true });
      expect(await none.get('big.wanted')).toMatchObject({ pending: true });
      expect(await none.get('other.skipped')).toMatchObject({ pending: true });
      expect((await some.status()).metrics.hydrations.completed).toBe(1);
      expect((await none.status()).metrics.hydrations.completed).toBe(0);
    } finally {
      await Promise.all(started.map((node) => node.stop()));
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('startNode and AdminClient in process', () => {
  it('serves the admin API with the token, refuses others, and is unreachable after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-unit-'));
    const node = await startNode({ clusterId: 'c', nodeId: 'n', listen: join(dir, 'n.sock'), admin: { listen: '127.0.0.1:0' } });
    try {
      expect(node.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const admin = new AdminClient(node.adminUrl!, node.token!);
      await admin.set('a.b', [1, 2]);
      expect((await admin.get('a.b'))?.value).toEqual([1, 2]);
      await expect(new AdminClient(node.adminUrl!, 'wrong-token').get('a.b')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(node.httpUrl).toBeUndefined();
    } finally {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(new AdminClient(node.adminUrl!, node.token!).status()).rejects.toMatchObject({ code: 'PEER_UNAVAILABLE' });
    expect(node.session.running).toBe(false);
  });

  it('a taken admin address fails the start with IO_ERROR and closes the session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-unit-'));
    const first = await startNode({ clusterId: 'c', nodeId: 'n1', listen: join(dir, 'n1.sock'), admin: { listen: '127.0.0.1:0', token: 'token-1234' } });
    try {
      const port = new URL(first.adminUrl!).port;
      await expect(startNode({ clusterId: 'c', nodeId: 'n2', listen: join(dir, 'n2.sock'), admin: { listen: `127.0.0.1:${port}`, token: 'token-1234' } })).rejects.toMatchObject({ code: 'IO_ERROR' });
    } finally {
      await first.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('selectBricks', () => {
  const bytes = manifestBytes([64, 64, 64], 32);

  it('without a view selects every brick, summarised per x-y column', async () => {
    const all = await selectBricks(bytes, undefined);
    expect(all).toMatchObject({ bricks: 8, selected: 8, by: 'none', bounds: [64, 64, 64] });
    expect(all.columns).toHaveLength(4);
    expect(all.columns.every((column) => column.total === 2 && column.selected === 2 && column.width === 32)).toBe(true);
  });

  it('with a view keeps the bricks inside its frustum (touching counts as inside)', async () => {
    const left = await selectBricks(bytes, orthographic(0, 31, 0, 64, 64));
    expect(left).toMatchObject({ bricks: 8, selected: 4, by: 'view' });
    expect(left.columns.filter((column) => column.selected > 0).map((column) => column.x)).toEqual([0, 0]);
    expect((await selectBricks(bytes, orthographic(0, 32, 0, 64, 64))).selected).toBe(8);
    expect((await selectBricks(bytes, orthographic(100, 200, 0, 64, 64))).selected).toBe(0);
    // Edge bricks are clipped: a 40³ volume has bricks of 32 and 8 voxels.
    const clipped = await selectBricks(manifestBytes([40, 40, 40], 32), undefined);
    expect(clipped.columns.map((column) => column.width).sort((a, b) => a - b)).toEqual([8, 8, 32, 32]);
  });

  it('refuses hostile bytes with a clear error, never a huge allocation', async () => {
    const count = new Uint8Array(bytes.slice(0, 60));
    new DataView(count.buffer).setUint32(8, 0xffffffff, true);
    const trailing = new Uint8Array(bytes.byteLength + 1);
    trailing.set(bytes);
    const magic = bytes.slice();
    magic[0] = 0x58;
    const version = bytes.slice();
    version[4] = 2;
    for (const [input, code] of [[bytes.slice(0, 10), 'TRUNCATED'], [magic, 'BAD_MAGIC'], [version, 'VERSION_MISMATCH'], [count, 'TRUNCATED'], [trailing, 'CORRUPT_INPUT'], [bytes.slice(0, bytes.byteLength - 3), 'TRUNCATED']] as const) {
      await expect(selectBricks(input, undefined)).rejects.toMatchObject({ code, message: expect.stringMatching(/^@statemesh\/(cli|brick-manifest): /) });
    }
    await expect(selectBricks(bytes, [1, 2, 3])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
