// The browser entry of @statemesh/session, in Node: it dials with `ws`'s client injected as the WebSocket
// constructor (Node 20 has no global one), exactly as a page does with the standard one.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { join, type BrowserSessionConfig, type Session } from '../src/browser.ts';
import { converged, waitFor } from './cluster.ts';
import { websocketNode, type WebsocketNode } from './fixtures/websocket-node.ts';

const TOKEN = 'browser-entry-token';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(): Promise<WebsocketNode> {
  const node = await websocketNode(TOKEN);
  cleanups.push(() => node.close());
  return node;
}

async function tab(url: string, config: Partial<BrowserSessionConfig> = {}, log: string[] = []): Promise<Session> {
  const session = await join(
    { clusterId: 'web', nodeId: 'tab', seeds: [url], token: TOKEN, heartbeatIntervalMs: 200, joinTimeoutMs: 5000, requirePeers: 1, ...config },
    { WebSocket: WebSocket as never, log: (line) => log.push(line) },
  );
  cleanups.push(() => session.close());
  return session;
}

describe('the browser join()', () => {
  it('joins a Node node over WebSocket, and each sees the other one\'s writes', async () => {
    const node = await server();
    node.session.set('scene.camera', { x: 1 });
    const page = await tab(node.url);
    await waitFor('the node\'s write in the tab', () => (page.get('scene.camera')?.value as { x?: number } | undefined)?.x === 1);
    page.set('scene.annotation', 'from the tab');
    await waitFor('the tab\'s write on the node', () => node.session.get('scene.annotation')?.value === 'from the tab');
    expect(page.status().peers.map((peer) => peer.node)).toEqual(['server']);
    await converged([node.session, page]);
  });

  it('decodes the zstd chunks of a Node writer, and writes its own large values raw', async () => {
    const node = await server();
    const compressible = new Uint8Array(300_000).map((_, i) => (i >> 6) % 7);
    node.session.setBytes('volume.brick.0', compressible);
    await waitFor('the blob stored on the node', () => node.session.get('volume.brick.0')?.ref !== undefined);
    expect(node.session.get('volume.brick.0')?.ref?.codec).toBe('zstd');
    const page = await tab(node.url);
    const arrived = await page.waitForData('volume.brick.0');
    expect(Buffer.from(arrived.bytes!).equals(Buffer.from(compressible))).toBe(true);
    const own = randomBytes(200_000);
    page.setBytes('volume.brick.1', own);
    await waitFor('the tab\'s blob reference on the node', () => node.session.get('volume.brick.1') !== undefined);
    expect(page.get('volume.brick.1')?.ref?.codec).toBe('raw');
    const fetched = await node.session.fetch('volume.brick.1');
    expect(Buffer.from(fetched.bytes!).equals(own)).toBe(true);
  });

  it('hydrates as the policy says: lazy leaves a large value pending until fetched', async () => {
    const node = await server();
    const big = randomBytes(150_000);
    node.session.setBytes('volume.lazy', big);
    const page = await tab(node.url, { hydrate: 'lazy' });
    await waitFor('the reference in the tab', () => page.get('volume.lazy') !== undefined);
    expect(page.get('volume.lazy')?.pending).toBe(true);
    const fetched = await page.fetch('volume.lazy');
    expect(Buffer.from(fetched.bytes!).equals(big)).toBe(true);
  });

  it('a wrong token is refused: join() rejects with UNAUTHENTICATED naming the seed, the log says so once', async () => {
    const node = await server();
    node.session.set('secret', 1);
    const log: string[] = [];
    const refused = tab(node.url, { token: 'wrong', joinTimeoutMs: 1500 }, log);
    await expect(refused).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining(node.url), details: { seeds: [node.url] } });
    expect(log.filter((line) => /token/i.test(line))).toHaveLength(1);
    expect(node.session.status().peerCount).toBe(0);
  });

  it('without requirePeers a wrong token still joins (no peers), and the log is where the page reads the refusal', async () => {
    const node = await server();
    const log: string[] = [];
    const page = await tab(node.url, { token: 'wrong', requirePeers: 0, joinTimeoutMs: 1000 }, log);
    await waitFor('the refusal in the log', () => log.some((line) => /token/i.test(line)));
    expect(page.status().peerCount).toBe(0);
    expect(page.get('secret')).toBeUndefined();
  });

  it('refuses configs a browser cannot honour, naming the field', async () => {
    const WebSocketCtor = { WebSocket: WebSocket as never };
    const base = { clusterId: 'web', nodeId: 'tab', seeds: ['ws://127.0.0.1:1/statemesh'] };
    await expect(join({ ...base, blobCodec: 'zstd' as never }, WebSocketCtor)).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: { field: 'blobCodec' } });
    await expect(join({ ...base, seeds: [] }, WebSocketCtor)).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: { field: 'seeds' } });
    await expect(join({ ...base, requireTls: true }, WebSocketCtor)).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: { field: 'seeds' } });
    await expect(join({ ...base, listen: '/tmp/x.sock' } as never, WebSocketCtor)).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: { field: 'listen' } });
    await expect(join({ ...base, token: '' }, WebSocketCtor)).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: { field: 'token' } });
  });

  it('leaves nothing running after close(): no socket, timer or server of its own', async () => {
    const count = () => {
      const counts = new Map<string, number>();
      for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
      return counts;
    };
    const before = count();
    const node = await websocketNode(TOKEN);
    const page = await join({ clusterId: 'web', nodeId: 'tab', seeds: [node.url], token: TOKEN, requirePeers: 1 }, { WebSocket: WebSocket as never, log: () => undefined });
    page.set('a', 1);
    await waitFor('the write on the node', () => node.session.get('a') !== undefined);
    expect((count().get('TCPWRAP') ?? 0) + (count().get('TCPSocketWrap') ?? 0)).toBeGreaterThan(0);
    await page.close();
    await node.close();
    const leaked = () => [...count()].filter(([type, n]) => n > (before.get(type) ?? 0)).map(([type, n]) => `${type} ${before.get(type) ?? 0} -> ${n}`);
    // Sockets finish closing on the next turns of the loop: a bounded wait, then none of ours may remain.
    await waitFor('resources released', () => leaked().length === 0, 5000).catch(() => undefined);
    expect(leaked()).toEqual([]);
  });
});
