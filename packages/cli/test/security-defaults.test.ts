// The safe defaults of DESIGN section 7 on a node started in process (real sockets): the Host-header check,
// root deletes only when asked for by name, tokens from files or the environment, and the size limits of writes.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, EXIT_CODES, runCli, startNode, type RunningNode, type Terminal } from '@statemesh/cli';
import { rawRequest } from './http-request.ts';

const TOKEN = 'token-security-1';
let dir: string;
let node: RunningNode;

function terminal(env: Record<string, string> = {}): Terminal & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line), progress: () => undefined, progressDone: () => undefined, env, onInterrupt: () => () => undefined };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-security-'));
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  node = await startNode({
    clusterId: 'sec',
    nodeId: 'n',
    listen: join(dir, 'n.sock'),
    admin: { listen: '127.0.0.1:0', tokenFile: join(dir, 'token'), maxValueBytes: 1024 * 1024 },
    http: { port: 0 },
    allowedHosts: ['statemesh.internal'],
  });
}, 30_000);

afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Host header (DNS rebinding)', () => {
  it('answers addresses, localhost and allowed names; refuses any other name with 403 on both servers', async () => {
    const port = (url: string) => new URL(url).port;
    for (const url of [node.httpUrl!, node.adminUrl!]) {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const path = url === node.httpUrl ? '/status' : '/v1/status';
      for (const host of [`127.0.0.1:${port(url)}`, `localhost:${port(url)}`, 'dashboard.localhost', '[::1]:80', 'statemesh.internal', 'STATEMESH.internal.']) {
        expect({ host, status: (await rawRequest(`${url}${path}`, { headers: { ...auth, host } })).status }).toEqual({ host, status: 200 });
      }
      const evil = await rawRequest(`${url}${path}`, { headers: { ...auth, host: `rebind.attacker.example:${port(url)}` } });
      expect(evil.status).toBe(403);
      expect(JSON.parse(evil.body)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^@statemesh\/cli: .*DNS rebinding.*--allow-host "rebind\.attacker\.example"/) } });
      expect((await rawRequest(`${url}${path}`, { headers: { ...auth, host: 'a b' } })).status).toBe(403);
    }
  });
});

describe('deleting the root', () => {
  it('the admin API refuses the empty path without all=1; the command needs --all', async () => {
    const admin = new AdminClient(node.adminUrl!, TOKEN);
    await admin.set('keep.me', 1);
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const query of ['path=', '']) {
      const refused = await rawRequest(`${node.adminUrl}/v1/value?${query}`, { method: 'DELETE', headers: auth });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatch(/whole tree on every replica.*all=1 \(statemesh delete --all\)/);
    }
    expect((await rawRequest(`${node.adminUrl}/v1/value?path=keep&all=1`, { method: 'DELETE', headers: auth })).status).toBe(400);
    expect(() => admin.delete('')).toThrow(/deleteAll/);
    const bare = terminal({ STATEMESH_NODE: node.adminUrl!, STATEMESH_TOKEN: TOKEN });
    expect(await runCli(['delete', ''], bare)).toBe(EXIT_CODES.usage);
    expect(bare.stderr.join('\n')).toMatch(/statemesh delete --all/);
    expect(await runCli(['delete'], bare)).toBe(EXIT_CODES.usage);
    expect(await runCli(['delete', 'keep', '--all'], bare)).toBe(EXIT_CODES.usage);
    expect((await admin.get('keep.me'))?.value).toBe(1);

    const all = terminal({ STATEMESH_NODE: node.adminUrl!, STATEMESH_TOKEN: TOKEN });
    expect(await runCli(['delete', '--all'], all)).toBe(EXIT_CODES.ok);
    expect(all.stdout.join('\n')).toMatch(/^deleted the whole tree \(n(~[0-9a-z]+)?#\d+\)/);
    expect(await admin.entries('')).toEqual([]);
  });
});

describe('the admin token', () => {
  it('comes from --token-file, $STATEMESH_TOKEN_FILE or $STATEMESH_TOKEN; a bare --token is refused', async () => {
    const env = { STATEMESH_NODE: node.adminUrl! };
    const privateFile = terminal(env);
    expect(await runCli(['status', '--token-file', join(dir, 'token')], privateFile)).toBe(EXIT_CODES.ok);
    expect(privateFile.stderr).toEqual([]);
    writeFileSync(join(dir, 'shared-token'), TOKEN);
    chmodSync(join(dir, 'shared-token'), 0o644);
    const shared = terminal(env);
    expect(await runCli(['status', '--token-file', join(dir, 'shared-token')], shared)).toBe(EXIT_CODES.ok);
    expect(shared.stderr.join('\n')).toMatch(/^warning: the token file .*shared-token can be read by other users \(mode 644\); make it private: chmod 600 /);
    expect(await runCli(['status'], terminal({ ...env, STATEMESH_TOKEN_FILE: join(dir, 'token') }))).toBe(EXIT_CODES.ok);
    expect(await runCli(['status'], terminal({ ...env, STATEMESH_TOKEN: TOKEN }))).toBe(EXIT_CODES.ok);
    const bare = terminal(env);
    expect(await runCli(['status', '--token', TOKEN], bare)).toBe(EXIT_CODES.usage);
    expect(bare.stderr.join('\n')).toMatch(/--token is refused: a token on the command line is visible to every user.*--token-file <file>.*\$STATEMESH_TOKEN/);
    const missing = terminal(env);
    expect(await runCli(['status', '--token-file', join(dir, 'nope')], missing)).toBe(EXIT_CODES.usage);
    expect(missing.stderr.join('\n')).toMatch(/cannot read the token file/);
    writeFileSync(join(dir, 'empty'), '\n');
    expect(await runCli(['status', '--token-file', join(dir, 'empty')], terminal(env))).toBe(EXIT_CODES.usage);
    const nodeCommand = terminal();
    expect(await runCli(['node', '--cluster', 'c', '--id', 'x', '--listen', join(dir, 'x.sock'), '--token', TOKEN], nodeCommand)).toBe(EXIT_CODES.usage);
    expect(nodeCommand.stderr.join('\n')).toMatch(/--token is refused/);
  });
});

describe('the size of writes', () => {
  it('a binary PUT takes any size up to the limit, and past it says the limit', async () => {
    const env = { STATEMESH_NODE: node.adminUrl!, STATEMESH_TOKEN: TOKEN };
    const fits = join(dir, 'fits.bin');
    writeFileSync(fits, Buffer.alloc(1024 * 1024, 7));
    expect(await runCli(['set', 'big.fits', '--file', fits], terminal(env))).toBe(EXIT_CODES.ok);
    const admin = new AdminClient(node.adminUrl!, TOKEN);
    expect((await admin.get('big.fits'))?.size).toBe(1024 * 1024);
    // And back as they are: a binary GET, no base64.
    const received: Buffer[] = [];
    await admin.pipeBytes('big.fits', new Writable({ write: (chunk: Buffer, _encoding, done) => {
      received.push(chunk);
      done();
    } }));
    expect(Buffer.concat(received).equals(Buffer.alloc(1024 * 1024, 7))).toBe(true);
    await admin.set('big.json', 1);
    await expect(admin.pipeBytes('big.json', new Writable({ write: (_chunk, _encoding, done) => done() }))).rejects.toMatchObject({ code: 'INVALID_TYPE' });
    await expect(admin.pipeBytes('big.none', new Writable({ write: (_chunk, _encoding, done) => done() }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const over = join(dir, 'over.bin');
    writeFileSync(over, Buffer.alloc(1024 * 1024 + 1, 7));
    const refused = terminal(env);
    expect(await runCli(['set', 'big.over', '--file', over], refused)).toBe(EXIT_CODES.failure);
    expect(refused.stderr.join('\n')).toMatch(/^@statemesh\/cli: the value is 1048577 bytes, over this node's limit of 1 MiB per value \(admin\.maxValueBytes/);
    expect(await new AdminClient(node.adminUrl!, TOKEN).get('big.over')).toBeUndefined();
    const unreadable = terminal(env);
    expect(await runCli(['set', 'big.none', '--file', join(dir, 'missing.bin')], unreadable)).toBe(EXIT_CODES.usage);
    expect(unreadable.stderr.join('\n')).toMatch(/cannot read .*missing\.bin/);
  });

  it('set --file shows a progress line on a terminal, and none elsewhere', async () => {
    const env = { STATEMESH_NODE: node.adminUrl!, STATEMESH_TOKEN: TOKEN };
    const file = join(dir, 'progress.bin');
    writeFileSync(file, Buffer.alloc(512 * 1024, 1));
    const lines: string[] = [];
    const tty = { ...terminal(env), interactive: true, progress: (line: string) => lines.push(line) };
    expect(await runCli(['set', 'big.progress', '--file', file], tty)).toBe(EXIT_CODES.ok);
    expect(lines.at(-1)).toMatch(/^sending .*progress\.bin: 512\.0 KiB of 512\.0 KiB \(100%\), \d+\.\d s$/);
    const quiet: string[] = [];
    expect(await runCli(['set', 'big.progress', '--file', file], { ...terminal(env), progress: (line: string) => quiet.push(line) })).toBe(EXIT_CODES.ok);
    expect(quiet).toEqual([]);
  });

  it('a JSON body over 16 MiB is refused with 413 and the way out', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(16 * 1024 * 1024) });
    const answer = await rawRequest(`${node.adminUrl}/v1/value?path=big.json`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'VALUE_TOO_LARGE', message: expect.stringMatching(/16 MiB limit of JSON bodies; send bytes as a binary PUT/) } });
  });
});
