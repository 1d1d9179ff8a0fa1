// The command line itself, in process: help, usage errors and config validation need no running node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/session';
import { AdminClient, COMMANDS, EXIT_CODES, resolveNodeConfig, runCli, selectBricks, startNode, type NodeConfig, type Terminal } from '@statemesh/cli';

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
    expect(resolveNodeConfig(base)).toEqual({ session: base, admin: { host: '127.0.0.1', port: 7700, token: undefined }, http: undefined });
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

const sessionExports = (await import('@statemesh/session')) as Record<string, unknown>;
const manifestClass = sessionExports['BrickManifest'] as { forVolume?: (dims: number[], options: object) => { encode(): Uint8Array } } | undefined;

describe('brick pictures', () => {
  it.skipIf(manifestClass !== undefined)('say what is missing when @statemesh/session does not re-export the decoder', async () => {
    await expect(selectBricks(new Uint8Array(8), undefined)).rejects.toMatchObject({ code: 'UNKNOWN_CODEC', message: expect.stringMatching(/does not export BrickManifest/) });
  });

  it.runIf(manifestClass?.forVolume !== undefined)('select bricks through the decoder @statemesh/session re-exports', async () => {
    const bytes = manifestClass!.forVolume!([64, 64, 64], { brickDim: 32, voxelType: 'f32' }).encode();
    const all = await selectBricks(bytes, undefined);
    expect(all).toMatchObject({ by: 'none', selected: [0, 1, 2, 3, 4, 5, 6, 7] });
    expect(all.bricks).toHaveLength(8);
  });
});
