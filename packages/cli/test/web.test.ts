// `statemesh node --web`: one address serves the viewer and browsers' WebSocket links; the URL it prints (token
// in the fragment) opens a joined viewer in Chromium; a wrong token, a foreign Host and another origin are refused; beyond
// loopback it needs --insecure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { rawRequest } from './http-request.ts';
import { NodeProcess, statemesh } from './statemesh-process.ts';

/** The page's DOM, as far as the test reads it (the test is compiled without the DOM library). */
type Dom = { document: { getElementById(id: string): { textContent: string | null } | null } };

const dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-web-'));
let node: NodeProcess;
let viewerUrl: string;
let browser: Browser;

beforeAll(async () => {
  writeFileSync(join(dir, 'web-token'), 'a-web-token-of-the-test\n', { mode: 0o600 });
  node = await NodeProcess.start(['--cluster', 'w', '--id', 'a', '--listen', join(dir, 'a.sock'), '--admin', '127.0.0.1:0', '--web', '127.0.0.1:0', '--web-token-file', join(dir, 'web-token')]);
  await node.waitFor((events) => events.some((e) => e['event'] === 'web'), 20_000);
  viewerUrl = String(node.events.find((e) => e['event'] === 'web')!['url']);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run', '--disable-background-timer-throttling'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function viewerState(url: string): Promise<{ state: string; message: string; peers: string }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as unknown as { statemeshViewer?: { state: string } }).statemeshViewer?.state !== 'starting', undefined, { polling: 100, timeout: 20_000 });
    if (await page.evaluate(() => (globalThis as unknown as { statemeshViewer: { state: string } }).statemeshViewer.state === 'running')) {
      await page.waitForFunction(() => (globalThis as unknown as Dom).document.getElementById('peers')?.textContent?.includes('a: up') === true, undefined, { polling: 100, timeout: 20_000 });
    }
    const result = await page.evaluate(() => ({
      state: (globalThis as unknown as { statemeshViewer: { state: string } }).statemeshViewer.state,
      message: (globalThis as unknown as Dom).document.getElementById('message')?.textContent ?? '',
      peers: (globalThis as unknown as Dom).document.getElementById('peers')?.textContent ?? '',
    }));
    await page.evaluate(() => (globalThis as unknown as { statemeshViewer: { close(): Promise<void> } }).statemeshViewer.close());
    return result;
  } finally {
    await context.close();
  }
}

describe('statemesh node --web', () => {
  it('prints the viewer URL with the token in the fragment; the page it opens joins the node', async () => {
    expect(viewerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=a-web-token-of-the-test$/);
    const seen = await viewerState(viewerUrl);
    expect(seen.state).toBe('running');
    expect(seen.peers).toContain('a: up');
  }, 60_000);

  it('a wrong token: the page says the node refused it', async () => {
    const seen = await viewerState(viewerUrl.replace(/#token=.*/, '#token=wrong-token-here'));
    expect(seen).toMatchObject({ state: 'refused' });
    expect(seen.message).toContain('refused this token');
  }, 60_000);

  it('answers only its own host names (DNS rebinding) and serves nothing else', async () => {
    const origin = viewerUrl.replace(/\/#.*/, '');
    expect((await fetch(`${origin}/`)).status).toBe(200);
    expect((await rawRequest(`${origin}/`, { headers: { host: 'evil.example' } })).status).toBe(403);
    expect((await fetch(`${origin}/etc/passwd`)).status).toBe(404);
  });

  it('answers every WebSocket upgrade it does not take: another path 404, a foreign Host or another origin 403', async () => {
    const origin = viewerUrl.replace(/\/#.*/, '');
    const host = new URL(origin).host;
    const upgrade = (path: string, headers: Record<string, string>) =>
      rawRequest(`${origin}${path}`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
    expect((await upgrade('/elsewhere', { host })).status).toBe(404);
    expect((await upgrade('/statemesh', { host: 'evil.example' })).status).toBe(403);
    expect((await upgrade('/statemesh', { host, origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgrade('/statemesh', { host, origin: 'not a url' })).status).toBe(403);
  });

  it('refuses to listen beyond loopback in plain HTTP without --insecure', async () => {
    const result = await statemesh(['node', '--cluster', 'w', '--id', 'b', '--listen', join(dir, 'b.sock'), '--admin', 'off', '--web', '0.0.0.0:0'], { STATEMESH_WEB_TOKEN: 'a-web-token-of-the-test' });
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toContain('TLS');
  }, 30_000);

  it('with the node\'s TLS certificate: HTTPS and wss beyond loopback without --insecure, and the page joins', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    writeFileSync(join(dir, 'tls-node.json'), JSON.stringify({ clusterId: 'w', nodeId: 't', listen: join(dir, 't.sock'), tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') }, http: { port: 0 }, web: { listen: '0.0.0.0:0' } }));
    const tlsNode = await NodeProcess.start(['--config', join(dir, 'tls-node.json'), '--admin', '127.0.0.1:0'], { STATEMESH_WEB_TOKEN: 'a-web-token-of-the-test' });
    try {
      await tlsNode.waitFor((events) => events.some((e) => e['event'] === 'web'), 20_000);
      const url = String(tlsNode.events.find((e) => e['event'] === 'web')!['url']).replace('0.0.0.0', '127.0.0.1');
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/#token=a-web-token-of-the-test$/);
      const status = await new Promise<number | undefined>((resolve, reject) => {
        httpsRequest(url.replace(/#.*/, ''), { ca: cert }, (response) => {
          response.resume();
          resolve(response.statusCode);
        }).on('error', reject).end();
      });
      expect(status).toBe(200);
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const page = await context.newPage();
        await page.goto(url);
        await page.waitForFunction(() => (globalThis as unknown as { statemeshViewer?: { state: string } }).statemeshViewer?.state !== 'starting', undefined, { polling: 100, timeout: 20_000 });
        expect(await page.evaluate(() => (globalThis as unknown as { statemeshViewer: { state: string } }).statemeshViewer.state)).toBe('running');
        await page.evaluate(() => (globalThis as unknown as { statemeshViewer: { close(): Promise<void> } }).statemeshViewer.close());
      } finally {
        await context.close();
      }
    } finally {
      await tlsNode.stop();
    }
  }, 60_000);
});
