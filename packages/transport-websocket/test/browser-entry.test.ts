// The browser entry (`@statemesh/transport-websocket/browser`): the client over a standard WebSocket. Node 20 has
// no global WebSocket, so these tests hand it `ws`'s class, which implements the standard API; the entry itself
// never imports `ws` (bundle.test.ts proves it).
import { afterEach, describe, expect, it } from 'vitest';
import type { Link } from '@statemesh/contracts';
import { RecordingHost, freePort, waitFor } from '@statemesh/contracts/testing';
import { websocketDialer, websocketTransport, type WebSocketConstructor } from '@statemesh/transport-websocket/browser';
import { websocketListener } from '@statemesh/transport-websocket';
import { WebSocket as WsWebSocket } from 'ws';
import { Nodes, mutation } from './fixtures/nodes.ts';

const StandardWebSocket = WsWebSocket as unknown as WebSocketConstructor;
const TOKEN = 'browser-token';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the browser entry', () => {
  it('without a global WebSocket (Node 20), says what to pass', () => {
    if ('WebSocket' in globalThis) return; // Node 22+: the global one is there to use
    expect(() => websocketDialer('ws://127.0.0.1:1/statemesh')).toThrow(/options\.WebSocket/);
  });

  it('joins a Node node through a standard WebSocket and replicates both ways', async () => {
    const nodes = new Nodes();
    cleanups.push(() => nodes.closeAll());
    const port = await freePort();
    const server = await nodes.start('server', { listen: { port, token: TOKEN } });
    const host = new RecordingHost();
    const tab = websocketTransport({ nodeId: 'tab', clusterId: 'test', seeds: [`ws://127.0.0.1:${port}/statemesh`], dial: { token: TOKEN, WebSocket: StandardWebSocket } });
    cleanups.push(() => tab.close());
    await tab.start(host);
    await waitFor(() => host.upPeers().includes('server') && server.host.upPeers().includes('tab'), { message: 'both up' });
    tab.publish([mutation('tab', 1), mutation('tab', 2)]);
    server.transport.publish([mutation('server', 1)]);
    await waitFor(() => server.host.mutations('tab').length === 2 && host.mutations('server').length === 1, { message: 'writes both ways' });
    expect(host.mutations('server')[0]!.path).toBe('scene.item1');
    await tab.close();
    await waitFor(() => !server.host.upPeers().includes('tab'), { message: 'the tab down at the server' });
  });

  it('back-pressure without send callbacks: send returns false past the high-water mark, then drain', async () => {
    const listener = websocketListener({ token: TOKEN });
    const links: Link[] = [];
    const received: number[] = [];
    await listener.start((link) => {
      links.push(link);
      link.maxFrameBytes = 2 * 1024 * 1024;
      link.open({ frame: (f) => received.push(f.body.byteLength), drain: () => undefined, closed: () => undefined });
    });
    cleanups.push(async () => {
      await listener.close();
      for (const link of links) link.destroy('test done');
    });
    const client = await websocketDialer(listener.address, { token: TOKEN, WebSocket: StandardWebSocket, highWaterMarkBytes: 256 * 1024 }).dial();
    cleanups.push(() => client.destroy('test done'));
    let drains = 0;
    client.open({ frame: () => undefined, drain: () => drains++, closed: () => undefined });
    let sent = 0;
    while (client.send({ kind: 2, version: 1, body: new Uint8Array(1024 * 1024) })) sent++;
    sent++;
    expect(client.bufferedBytes).toBeGreaterThanOrEqual(256 * 1024);
    await waitFor(() => drains === 1, { message: 'drain' });
    expect(client.bufferedBytes).toBeLessThan(256 * 1024);
    await waitFor(() => received.length === sent, { message: 'every frame at the server' });
  });
});
