// The browser bundle run for real: Debian's Chromium (headless, driven by playwright-core) loads it from a Node
// node's HTTP server, joins that node over WebSocket, and both see each other's writes, a zstd value included;
// a wrong token is refused and the page can tell.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildBrowserBundle } from './browser-build.ts';
import { waitFor } from './cluster.ts';
import { websocketNode, type WebsocketNode } from './fixtures/websocket-node.ts';

const TOKEN = 'chromium-token';
const PAGE = '<!doctype html><meta charset="utf-8"><title>statemesh</title><script type="module">import * as statemesh from "/statemesh.js"; window.statemesh = statemesh; document.title = "ready";</script>';

let node: WebsocketNode;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const bundle = await buildBrowserBundle({ minify: true });
  if (bundle.nodeImports.length > 0) throw new Error(`the browser bundle reaches Node built-ins: ${JSON.stringify(bundle.nodeImports)}`);
  node = await websocketNode(TOKEN, {
    serve: (request, response) => {
      if (request.url === '/statemesh.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.code);
      else if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      else response.writeHead(404).end();
    },
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${node.origin}/`);
  await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'ready');
}, 60_000);

afterAll(async () => {
  await page?.evaluate(async () => {
    const w = globalThis as unknown as { session?: { close(): Promise<void> } };
    await w.session?.close();
  });
  await browser?.close();
  await node?.close();
});

/** Joins from the page; resolves with the error's code when join() rejects. */
function joinFromPage(token: string, extra: Record<string, unknown> = {}): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  return page.evaluate(
    async ({ url, token, extra }) => {
      const w = globalThis as unknown as { statemesh: { join(config: unknown): Promise<unknown> }; session?: unknown; log: string[] };
      w.log = [];
      try {
        const session = await w.statemesh.join({ clusterId: 'web', nodeId: 'tab', seeds: [url], token, heartbeatIntervalMs: 200, requirePeers: 1, joinTimeoutMs: 5000, ...extra });
        w.session = session;
        return { ok: true as const };
      } catch (error) {
        const e = error as { code: string; message: string };
        return { ok: false as const, code: e.code, message: e.message };
      }
    },
    { url: node.url, token, extra },
  );
}

describe('the browser bundle in Chromium', () => {
  it('a wrong token is refused, and the page can tell: join() rejects with UNAUTHENTICATED', async () => {
    const result = await joinFromPage('wrong', { joinTimeoutMs: 1500 });
    expect(result).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
    expect(node.session.status().peerCount).toBe(0);
  });

  it('joins the Node node; each sees the other one\'s writes, and zstd chunks decode in the page', async () => {
    node.session.set('scene.camera', { eye: [0, 0, 3] });
    const volume = new Uint8Array(300_000).map((_, i) => (i >> 7) % 5);
    node.session.setBytes('volume.brick.0', volume);
    await waitFor('the blob on the node', () => node.session.get('volume.brick.0')?.ref !== undefined);
    expect(node.session.get('volume.brick.0')?.ref?.codec).toBe('zstd');
    expect(await joinFromPage(TOKEN)).toEqual({ ok: true });

    const seen = await page.evaluate(async () => {
      type Value = { value: unknown; bytes?: Uint8Array };
      const session = (globalThis as unknown as { session: { get(path: string): Value | undefined; waitForData(path: string): Promise<Value>; set(path: string, value: unknown): unknown } }).session;
      const brick = await session.waitForData('volume.brick.0');
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', brick.bytes!));
      session.set('scene.annotation', { text: 'from the tab' });
      return { camera: session.get('scene.camera')?.value, brickBytes: brick.bytes!.byteLength, brickSha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
    });
    expect(seen).toEqual({ camera: { eye: [0, 0, 3] }, brickBytes: volume.byteLength, brickSha256: createHash('sha256').update(volume).digest('hex') });
    await waitFor('the tab\'s write on the node', () => (node.session.get('scene.annotation')?.value as { text?: string } | undefined)?.text === 'from the tab');

    node.session.set('scene.camera', { eye: [1, 2, 3] });
    const moved = await page.waitForFunction(() => {
      const session = (globalThis as unknown as { session: { get(path: string): { value: { eye: number[] } } | undefined } }).session;
      return session.get('scene.camera')?.value.eye[0] === 1 ? session.get('scene.camera')!.value : undefined;
    });
    expect(await moved.jsonValue()).toEqual({ eye: [1, 2, 3] });

    // A large value written in the page goes out as raw chunks, and the node fetches them from the page.
    const written = await page.evaluate(async () => {
      const session = (globalThis as unknown as { session: { setBytes(path: string, bytes: Uint8Array): unknown } }).session;
      const bytes = new Uint8Array(200_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
      session.setBytes('volume.brick.1', bytes);
      return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
    });
    await waitFor('the page\'s blob reference on the node', () => node.session.get('volume.brick.1') !== undefined);
    expect(node.session.get('volume.brick.1')?.ref?.codec).toBe('raw');
    const fetched = await node.session.fetch('volume.brick.1');
    expect(createHash('sha256').update(fetched.bytes!).digest('hex')).toBe(written);

    const pageDigest = () => page.evaluate(() => (globalThis as unknown as { session: { digest(): string } }).session.digest());
    const deadline = Date.now() + 10_000;
    while ((await pageDigest()) !== node.session.digest() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await pageDigest()).toBe(node.session.digest());
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
