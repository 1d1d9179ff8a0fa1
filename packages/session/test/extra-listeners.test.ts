// join(config, { listeners }): a node also accepts links on listeners given beside its config (a WebSocket
// listener for browsers), and refuses them where they cannot work.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { join } from '@statemesh/session';
import { join as browserJoin } from '@statemesh/session/browser';
import { websocketListener, websocketTransport } from '@statemesh/transport-websocket';
import type { WebSocketConstructor } from '@statemesh/transport-websocket/browser';
import { MemoryNetwork } from '@statemesh/transport-memory';

const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-extra-listeners-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('join() with extra listeners', () => {
  it('takes browser-entry links on a WebSocket listener beside its Unix socket', async () => {
    const listener = websocketListener({ port: 0, token: 'extra-listener-token' });
    const node = await join({ clusterId: 'x', nodeId: 'n', listen: joinPath(dir, 'n.sock'), heartbeatIntervalMs: 200 }, { listeners: [listener], log: () => undefined });
    try {
      node.set('scene.title', 'hello');
      const tab = await browserJoin({ clusterId: 'x', nodeId: 'tab', seeds: [listener.address], token: 'extra-listener-token', requirePeers: 1, joinTimeoutMs: 10_000 }, { WebSocket: WebSocket as unknown as WebSocketConstructor, log: () => undefined });
      try {
        expect((await tab.waitForData('scene.title', 5000)).value).toBe('hello');
        expect(node.status().peers.map((p) => p.node)).toContain('tab');
      } finally {
        await tab.close();
      }
    } finally {
      await node.close();
    }
  });

  it('refuses listeners with a transport of the caller, or with the memory transport (INVALID_CONFIG)', async () => {
    const listener = websocketListener({ port: 0 });
    const transport = websocketTransport({ nodeId: 'n', clusterId: 'x' });
    await expect(join({ clusterId: 'x', nodeId: 'n', listen: joinPath(dir, 'm.sock') }, { transport, listeners: [listener] })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('options.listeners') as unknown });
    await transport.close();
    const network = new MemoryNetwork();
    await expect(join({ clusterId: 'x', nodeId: 'n', transport: 'memory', network, listen: 'n' } as never, { listeners: [listener], log: () => undefined })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('options.listeners') as unknown });
  });
});
