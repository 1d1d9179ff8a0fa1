// Every command against real node processes: a three-node cluster over Unix sockets in a temporary folder.
// b (from a config file) joins a and c; c replicates only the prefix app, so its write to scene.light, made
// without having seen a's, is a conflict b and a detect.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { AdminClient } from '@statemesh/cli';
import { manifestBytes, orthographic } from './brick-manifest-bytes.ts';
import { NodeProcess, collect, spawnStatemesh, statemesh } from './statemesh-process.ts';

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const TOKENS = { a: 'token-aaaa', b: 'token-bbbb', c: 'token-cccc' } as const;

let dir: string;
const nodes: Record<string, NodeProcess> = {};
// Tokens travel in files (never on the command line, where ps shows them) or in the environment.
const tokenFile = (name: string) => join(dir, `${name}.token`);
const as = (name: keyof typeof TOKENS) => ['--node', nodes[name]!.adminUrl, '--token-file', tokenFile(name)];
const client = (name: keyof typeof TOKENS) => new AdminClient(nodes[name]!.adminUrl, TOKENS[name]);

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-'));
  for (const [name, token] of Object.entries(TOKENS)) writeFileSync(tokenFile(name), `${token}\n`, { mode: 0o600 });
  const flags = (name: string) => ['--cluster', 't', '--id', name, '--listen', join(dir, `${name}.sock`), '--admin', '127.0.0.1:0', '--heartbeat-ms', '200'];
  [nodes['a'], nodes['c']] = await Promise.all([
    NodeProcess.start([...flags('a'), '--token-file', tokenFile('a'), '--http-port', '0']),
    // c replicates only the prefix app (so it never sees a's scene.light below), and takes its token from the
    // environment, as a deployment would.
    NodeProcess.start([...flags('c'), '--interest', 'app'], { STATEMESH_TOKEN: TOKENS.c }),
  ]);
  const config = join(dir, 'b.json');
  writeFileSync(config, JSON.stringify({
    clusterId: 't',
    nodeId: 'b',
    listen: join(dir, 'b.sock'),
    seeds: [join(dir, 'a.sock'), join(dir, 'c.sock')],
    heartbeatIntervalMs: 200,
    admin: { listen: '127.0.0.1:0', token: TOKENS.b },
    http: { port: 0 },
  }));
  nodes['b'] = await NodeProcess.start(['--config', config]);
  await until('b to see a and c up', async () => (await client('b').peers()).filter((p) => p.state === 'up').length === 2);
  // A conflict: c writes scene.light without having seen a's write there (outside its interests); b holds a's.
  await mustSucceed(['set', 'scene.light', '"blue"', ...as('a')]);
  await until('b to have a\'s scene.light', async () => (await client('b').get('scene.light')) !== undefined);
  await mustSucceed(['set', 'scene.light', '"red"', ...as('c')]);
  await until('b to see the conflict', async () => (await client('b').conflicts()).length > 0);
}, 60_000);

afterAll(async () => {
  // The last test stops the nodes; this is for a run cut short.
  await Promise.all(Object.values(nodes).map((node) => node.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

async function mustSucceed(args: readonly string[]): Promise<void> {
  const result = await statemesh(args);
  if (result.code !== 0) throw new Error(`statemesh ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
}

const byName = (x: unknown, y: unknown) => String(x).localeCompare(String(y));
/** The origin of a node's writes in this run: its id and a new incarnation (no blob store, so no record kept). */
const originOf = (node: string) => expect.stringMatching(new RegExp(`^${node}~[0-9a-z]+$`));


describe('statemesh node', () => {
  it('prints peers coming up and the catch-up', () => {
    const b = nodes['b']!.events;
    // A link that a loaded machine let go silent for five heartbeats is dropped and dialled again: a second 'up'.
    expect([...new Set(b.filter((e) => e['event'] === 'peer' && e['state'] === 'up').map((e) => e['peer']))].sort(byName)).toEqual(['a', 'c']);
    expect(b.find((e) => e['event'] === 'ready')).toMatchObject({ node: 'b', cluster: 't' });
  });

  it('closes cleanly on SIGINT (exit 0) and says so', async () => {
    const d = await NodeProcess.start(['--cluster', 't', '--id', 'd', '--listen', join(dir, 'd.sock'), '--seed', join(dir, 'a.sock'), '--admin', '127.0.0.1:0'], { STATEMESH_TOKEN: 'token-dddd' });
    const result = await d.stop('SIGINT');
    expect({ ...result, events: d.events }).toMatchObject({ code: 0, signal: null });
    expect(d.events.map((e) => e['event'])).toContain('closed');
  });

  it('binds loopback by default, and warns when an HTTP endpoint listens beyond it', async () => {
    expect(new URL(nodes['b']!.httpUrl).hostname).toBe('127.0.0.1');
    expect(nodes['b']!.events.filter((e) => e['event'] === 'warning')).toEqual([]);
    const w = await NodeProcess.start(['--cluster', 't', '--id', 'w', '--listen', join(dir, 'w.sock'), '--admin', '127.0.0.1:0', '--http-host', '0.0.0.0', '--http-port', '0'], { STATEMESH_TOKEN: 'token-wwww' });
    try {
      expect(w.events.filter((e) => e['event'] === 'warning').map((e) => e['message'])).toEqual([
        expect.stringMatching(/^warning: the HTTP endpoint listens on http:\/\/0\.0\.0\.0:\d+, beyond this machine, in plain HTTP/),
      ]);
    } finally {
      await w.stop();
    }
  });

  it('refuses a bad config with exit 2, naming the field', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ clusterId: 't', nodeId: 'x', listen: join(dir, 'x.sock'), heartbeatIntervalMs: -5 }));
    const result = await statemesh(['node', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/heartbeatIntervalMs/);
    const missing = await statemesh(['node', '--listen', join(dir, 'y.sock')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--cluster <id> --id <node>/);
  });
});

describe('commands against a running node', () => {
  it('set on one node, get on another', async () => {
    const set = await statemesh(['set', 'scene.camera', '{"fov":45,"eye":[0,1,2]}', ...as('a')]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^set scene\.camera \(a~[0-9a-z]+#\d+\)/);
    await until('b to have scene.camera', async () => (await client('b').get('scene.camera')) !== undefined);
    const get = await statemesh(['get', 'scene.camera', ...as('b')]);
    expect(get).toMatchObject({ code: 0, stdout: '{"fov":45,"eye":[0,1,2]}\n' });
    const json = JSON.parse((await statemesh(['get', 'scene.camera', '--json', ...as('b')])).stdout) as { version: { origin: string }; type: string };
    expect(json).toMatchObject({ type: 'json', version: { origin: originOf('a') } });
  });

  it('set --text stores a string; a string without quotes is a usage error', async () => {
    expect((await statemesh(['set', 'scene.title', 'hello world', '--text', ...as('a')])).code).toBe(0);
    expect((await statemesh(['get', 'scene.title', ...as('a')])).stdout).toBe('hello world\n');
    const bad = await statemesh(['set', 'scene.title', 'hello', ...as('a')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not JSON.*--text/);
  });

  it('get of a missing path exits 3; delete removes a subtree everywhere', async () => {
    expect((await statemesh(['get', 'scene.nothing', ...as('a')])).code).toBe(3);
    const invalid = await statemesh(['get', 'bad path!', ...as('a')]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/not a valid path/);
    await client('a').set('tmp.one', 1);
    await client('a').set('tmp.two', 2);
    await until('b to have tmp.two', async () => (await client('b').get('tmp.two')) !== undefined);
    const deleted = await statemesh(['delete', 'tmp', ...as('b')]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/^deleted tmp \(b~[0-9a-z]+#\d+\)/);
    await until('a to lose tmp', async () => (await client('a').entries('tmp')).length === 0);
    expect((await statemesh(['get', 'tmp.one', ...as('a')])).code).toBe(3);
  });

  it('set --file stores bytes with a type; get --raw writes them back', async () => {
    const file = join(dir, 'blob.bin');
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
    writeFileSync(file, bytes);
    expect((await statemesh(['set', 'bin.thing', '--file', file, '--type', 'volume/u8', ...as('a')])).code).toBe(0);
    await until('b to have bin.thing', async () => (await client('b').get('bin.thing'))?.pending === false);
    expect((await statemesh(['get', 'bin.thing', ...as('b')])).stdout).toBe('<1000 bytes of volume/u8>\n');
    const raw = spawnStatemesh(['get', 'bin.thing', '--raw', ...as('b')]);
    const chunks: Buffer[] = [];
    raw.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
    expect(await new Promise((resolve) => raw.on('close', resolve))).toBe(0);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('set --file streams a 40 MiB file (past the old 12 MiB ceiling of base64 JSON); another node gets the same bytes', async () => {
    const file = join(dir, 'forty.bin');
    const bytes = randomBytes(40 * 1024 * 1024);
    writeFileSync(file, bytes);
    const set = await statemesh(['set', 'big.forty', '--file', file, '--type', 'volume/u8', ...as('a')], {}, 60_000);
    // Not a terminal: no progress lines.
    expect(set).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^set big\.forty \(a~[0-9a-z]+#\d+\)/) });
    await until('b to fetch big.forty', async () => (await client('b').get('big.forty'))?.pending === false, 60_000);
    const raw = spawnStatemesh(['get', 'big.forty', '--raw', ...as('b')]);
    const digest = createHash('sha256');
    raw.stdout!.on('data', (chunk: Buffer) => digest.update(chunk));
    expect(await new Promise((resolve) => raw.on('close', resolve))).toBe(0);
    expect(digest.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  }, 120_000);

  it('ls lists a prefix (text and --json)', async () => {
    await client('a').set('list.x', 1);
    await client('a').set('list.y', 'why');
    await until('b to have list.y', async () => (await client('b').get('list.y')) !== undefined);
    const ls = await statemesh(['ls', 'list', ...as('b')]);
    expect(ls.code).toBe(0);
    expect(ls.stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['list.x', 'json', '1'],
      ['list.y', 'json', '"why"'],
    ]);
    const json = JSON.parse((await statemesh(['ls', 'list', '--json', ...as('b')])).stdout) as Array<{ path: string }>;
    expect(json.map((e) => e.path)).toEqual(['list.x', 'list.y']);
  });

  it('status and peers show the cluster', async () => {
    const status = await statemesh(['status', ...as('b')]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/node\s+b \(cluster t\) running/);
    expect(status.stdout).toMatch(/peers\s+2 up/);
    const json = JSON.parse((await statemesh(['status', '--json', ...as('b')])).stdout) as { status: { peerCount: number }; digest: string };
    expect(json.status.peerCount).toBe(2);
    expect(json.digest).toMatch(/^[0-9a-f]{16,}$/);
    const peers = await statemesh(['peers', ...as('b')]);
    expect(peers.stdout).toMatch(/^NODE\s+STATE/);
    expect(peers.stdout).toMatch(/^a\s+up/m);
    expect(peers.stdout).toMatch(/^c\s+up/m);
    const peerJson = JSON.parse((await statemesh(['peers', '--json', ...as('b')])).stdout) as Array<{ node: string }>;
    expect(peerJson.map((p) => p.node).sort(byName)).toEqual(['a', 'c']);
  });

  it('conflicts lists the concurrent write that lost', async () => {
    const result = await statemesh(['conflicts', ...as('b')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/scene\.light: c~[0-9a-z]+#1 beat a~[0-9a-z]+#1/);
    const json = JSON.parse((await statemesh(['conflicts', '--json', ...as('a')])).stdout) as Array<{ path: string; winner: { origin: string }; loser: { origin: string } }>;
    expect(json.find((c) => c.path === 'scene.light')).toMatchObject({ winner: { origin: originOf('c') }, loser: { origin: originOf('a') } });
    expect((await statemesh(['get', 'scene.light', ...as('a')])).stdout).toBe('"red"\n');
    expect((await statemesh(['conflicts', ...as('c')])).stdout).toBe('no conflicts\n');
  });

  it('watch streams changes until Ctrl-C, then exits 0', async () => {
    const watch = spawnStatemesh(['watch', 'live', '--json', ...as('b')]);
    const lines: string[] = [];
    let stderr = '';
    watch.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    watch.stdout!.setEncoding('utf8').on('data', (text: string) => lines.push(...text.split('\n').filter(Boolean)));
    const exited = collect(watch);
    await until('watch to start', () => stderr.includes('watching live'));
    await client('a').set('live.count', 1);
    await client('a').set('elsewhere', 1);
    await client('a').set('live.count', 2);
    await until('two changes', () => lines.length >= 2);
    watch.kill('SIGINT');
    const result = await exited;
    expect(result.code).toBe(0);
    expect(lines.map((line) => JSON.parse(line) as { path: string; value: unknown; origin: string; from: string })).toEqual([
      expect.objectContaining({ path: 'live.count', value: 1, origin: originOf('a'), from: 'a' }),
      expect.objectContaining({ path: 'live.count', value: 2, origin: originOf('a'), from: 'a' }),
    ]);
  });

  it('get waits for a large value that is fetched from peers', async () => {
    const big = 'x'.repeat(300_000);
    await client('a').setText('blob.text', big);
    await until('b to hear of blob.text', async () => (await client('b').get('blob.text')) !== undefined);
    // b may still be fetching the chunks: get waits for them.
    const again = await statemesh(['get', 'blob.text', '--json', ...as('b')]);
    expect(again.code).toBe(0);
    const view = JSON.parse(again.stdout) as { value: string; pending: boolean; size: number };
    expect(view).toMatchObject({ pending: false, size: 300_000 });
    expect(view.value).toBe(big);
  });
});

describe('authentication and reachability', () => {
  it('a wrong or missing token is refused with exit 4 and a clear message', async () => {
    const wrong = await statemesh(['get', 'scene.camera', '--node', nodes['a']!.adminUrl], { STATEMESH_TOKEN: 'not-the-token' });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/refused.*wrong token/);
    const missing = await statemesh(['set', 'scene.hack', '1', '--node', nodes['a']!.adminUrl]);
    expect(missing.code).toBe(4);
    expect(await client('a').get('scene.hack')).toBeUndefined();
    // Another node's token is not this node's.
    expect((await statemesh(['status', '--node', nodes['a']!.adminUrl, '--token-file', tokenFile('b')])).code).toBe(4);
  });

  it('the environment names the node and the token', async () => {
    const result = await statemesh(['get', 'scene.camera'], { STATEMESH_NODE: nodes['b']!.adminUrl, STATEMESH_TOKEN: TOKENS.b });
    expect(result.code).toBe(0);
  });

  it('no node at the address: exit 5', async () => {
    const result = await statemesh(['status', '--node', 'http://127.0.0.1:1'], { STATEMESH_TOKEN: 'x' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/no node answers at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('HTTP endpoint', () => {
  it('/healthz, /status; read-only: no writes without the token', async () => {
    const url = nodes['b']!.httpUrl;
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
    const status = (await (await fetch(`${url}/status`)).json()) as { status: { nodeId: string; peerCount: number } };
    expect(status.status).toMatchObject({ nodeId: 'b', peerCount: 2 });
    const write = await fetch(`${url}/v1/value?path=scene.hack`, { method: 'PUT', body: '{"value":1}' });
    expect(write.status).toBe(405);
    expect((await fetch(`${url}/v1/status`)).status).toBe(404);
    expect(await client('b').get('scene.hack')).toBeUndefined();
  });

  it('/metrics passes promtool check metrics', async () => {
    const text = await (await fetch(`${nodes['b']!.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^# HELP statemesh_up /m);
    expect(text).toMatch(/^statemesh_peers\{node="b",cluster="t"\} 2$/m);
    expect(text).toMatch(/^statemesh_conflicts_detected_total\{node="b",cluster="t"\} [1-9]/m);
    expect(text).toMatch(/^statemesh_peer_up\{node="b",cluster="t",peer="a"\} 1$/m);
    expect(text).toMatch(/^statemesh_stream_clients_dropped_total\{node="b",cluster="t"\} 0$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('the dashboard shows three nodes in headless Chromium and updates live', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(10_000);
      await page.goto(`${nodes['b']!.httpUrl}/`);
      await page.locator('#peers tr[data-node]').nth(2).waitFor();
      const names = await page.locator('#peers tr[data-node]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-node')));
      expect(names.sort(byName)).toEqual(['a', 'b', 'c']);
      expect(await page.locator('#peers tr[data-node="a"] td').nth(1).textContent()).toBe('up');
      await page.locator('#conflicts li', { hasText: 'scene.light' }).first().waitFor();
      await client('a').set('dash.value', 'first');
      // The tree starts at the root, where dash.value shows as the prefix dash.*: browse into it.
      await page.locator('#tree td.folder', { hasText: 'dash.*' }).click();
      await page.locator('tr[data-path="dash.value"]', { hasText: '"first"' }).waitFor();
      await client('c').set('app.dash', 'from c');
      await client('a').set('dash.value', 'second');
      await page.locator('tr[data-path="dash.value"]', { hasText: '"second"' }).waitFor();
      await page.locator('#changes li', { hasText: 'app.dash' }).first().waitFor();
      // A brick manifest: the dashboard draws which bricks the view at volume.manifest.view selects.
      const manifestFile = join(dir, 'volume.manifest');
      writeFileSync(manifestFile, manifestBytes([256, 256, 128], 32));
      expect((await statemesh(['set', 'volume.manifest', '--file', manifestFile, '--type', 'brick-manifest', ...as('a')])).code).toBe(0);
      await page.locator('#crumbs .crumb', { hasText: '(root)' }).click();
      await page.locator('#tree td.folder', { hasText: 'volume.*' }).click();
      await page.locator('tr[data-path="volume.manifest"] td.folder').click();
      await page.locator('#bricks-note', { hasText: '256 of 256 bricks selected (no view' }).waitFor();
      // The view changes on another node: the picture follows.
      await client('a').set('volume.manifest.view', orthographic(0, 100, 0, 256, 128));
      await page.locator('#bricks-note', { hasText: '128 of 256 bricks selected by the view' }).waitFor();
      expect(await page.locator('#bricks').getAttribute('data-selected')).toBe('128');
      mkdirSync(OUTPUT, { recursive: true });
      // A generous bound: on a machine shared with other test runs, a full-page capture once took over 10 s.
      await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true, timeout: 30_000 });
    } finally {
      await browser.close();
    }
  }, 90_000); // a browser, a dozen page steps and a screenshot: past the default 30 s at a load average of 40
});

describe('the dashboard as a cluster view', () => {
  it('renders its first state without a stream held open: chromium --virtual-time-budget settles', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'statemesh-cli-chromium-'));
    try {
      const chromium = spawn('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=5000', '--dump-dom', `${nodes['b']!.httpUrl}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
      const result = await collect(chromium, 60_000);
      expect(result.code).toBe(0);
      for (const name of ['a', 'b', 'c']) expect(result.stdout).toMatch(new RegExp(`<tr data-node="${name}" data-state="(up|self)">`));
      expect(result.stdout).toMatch(/<span id="connection" class="muted">live<\/span>/);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }, 90_000);

  it('shows the links between other nodes that peers announce: a, linked to b only, sees b linked to c', async () => {
    // The line a - b - c (b dials both): b's heartbeats tell a whom b is linked to.
    type View = { members: Array<{ node: string; links?: string[] }>; links: Array<{ from: string; to: string; state: string }> };
    const aView = async () => ((await (await fetch(`${nodes['a']!.httpUrl}/status`)).json()) as { cluster: View }).cluster;
    await until('a to see the b - c link', async () => (await aView()).links.some((l) => l.from === 'b' && l.to === 'c' && l.state === 'announced'));
    expect((await aView()).members.find((m) => m.node === 'b')?.links).toEqual(['a', 'c']);
    const json = JSON.parse((await statemesh(['status', '--json', ...as('a')])).stdout) as { status: { peers: Array<{ node: string; links?: string[] }> } };
    expect(json.status.peers).toEqual([expect.objectContaining({ node: 'b', links: ['a', 'c'] })]);
    expect((await statemesh(['status', ...as('a')])).stdout).toMatch(/^links\s+b to a,c$/m);
    expect((await statemesh(['peers', ...as('a')])).stdout).toMatch(/^b\s+up\s.*\sa,c$/m);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${nodes['a']!.httpUrl}/`);
      await page.locator('#graph line[data-from="b"][data-to="c"][data-state="announced"]').waitFor({ state: 'attached' });
      expect(await page.locator('#peers tr[data-node="b"] td.links').textContent()).toBe('a, c');
      expect(await page.locator('#peers tr[data-node="c"] td.links').textContent()).toBe('unknown (not a peer)');
      expect(await page.locator('#links li', { hasText: 'b — c (announced by b)' }).count()).toBe(1);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, 'dashboard-announced-links.png'), fullPage: true, timeout: 30_000 });
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('shows a peer that left as dead, with when it was last heard, and a node reached through a relay', async () => {
    const e = await NodeProcess.start(['--cluster', 't', '--id', 'e', '--listen', join(dir, 'e.sock'), '--seed', join(dir, 'b.sock'), '--admin', '127.0.0.1:0', '--heartbeat-ms', '200'], { STATEMESH_TOKEN: 'token-eeee' });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      await new AdminClient(e.adminUrl, 'token-eeee').set('from.e', 'hello');
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${nodes['b']!.httpUrl}/`);
      await page.locator('#peers tr[data-node="e"][data-state="up"]').waitFor();
      // a is not linked to e: it knows e from its vector, and which peer relays e's writes.
      await until('a to have e\'s write', async () => (await client('a').get('from.e')) !== undefined);
      type Member = { node: string; state: string; via?: string; seq: number };
      const aView = async () => ((await (await fetch(`${nodes['a']!.httpUrl}/status`)).json()) as { cluster: { members: Member[]; links: Array<{ from: string; to: string; state: string }> } }).cluster;
      await until('a to see e through b', async () => (await aView()).members.some((m) => m.node === 'e' && m.state === 'relayed' && m.via === 'b'));
      expect((await aView()).links).toContainEqual({ from: 'b', to: 'e', state: 'relays' });
      expect((await statemesh(['status', ...as('a')])).stdout).toMatch(/^also known\s+(.*, )?e relayed via b, last heard \d+\.\d s ago(,|$)/m);
      await e.stop('SIGTERM');
      const dead = page.locator('#peers tr[data-node="e"][data-state="dead"]');
      await dead.waitFor();
      expect(await dead.locator('td.last-heard').textContent()).toMatch(/^\d+(\.\d)? m?s ago$/);
      await page.locator('#peer-count', { hasText: '1 dead' }).waitFor();
      const peers = await statemesh(['peers', ...as('b')]);
      expect(peers.stdout).toMatch(/^e\s+dead\s+\d+ ms\s+-\s+-\s+-$/m); // lag, clock skew and links: unknown
      expect(peers.stdout).toMatch(/^a\s+up\s/m);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, 'dashboard-dead-peer.png'), fullPage: true, timeout: 30_000 });
    } finally {
      await browser.close();
      await e.stop('SIGKILL');
    }
  }, 90_000);
});

describe('shutdown', () => {
  it('every node closes cleanly on SIGTERM: exit 0, nothing left running; a watch of a closed node exits 5', async () => {
    const watch = spawnStatemesh(['watch', ...as('b')]);
    let stderr = '';
    watch.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const watchEnd = new Promise<number | null>((resolve) => watch.on('close', resolve));
    await until('watch to start', () => stderr.includes('watching the whole tree'));
    const results = await Promise.all(Object.values(nodes).map((node) => node.stop('SIGTERM')));
    expect(await watchEnd).toBe(5);
    expect(stderr).toMatch(/the node closed the stream/);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(Object.values(nodes).every((node) => node.child.exitCode === 0)).toBe(true);
  });
});
