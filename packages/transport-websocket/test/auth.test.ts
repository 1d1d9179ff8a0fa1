import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError, type Link, type LinkFrame } from '@statemesh/contracts';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { CLOSE_CODE, encodeAuthMessage, websocketDialer, websocketListener, type WebsocketListener, type WebsocketListenerOptions } from '@statemesh/transport-websocket';
import { RawWebSocket } from './fixtures/raw-websocket.ts';
import { Nodes, mutation } from './fixtures/nodes.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A started listener whose accepted links are collected (and destroyed at the end). */
async function listen(options: WebsocketListenerOptions = {}): Promise<{ listener: WebsocketListener; links: Link[]; port: number }> {
  const listener = websocketListener({ token: 'right-token', ...options });
  const links: Link[] = [];
  await listener.start((link) => links.push(link));
  cleanups.push(async () => {
    await listener.close();
    for (const link of links) link.destroy('test done');
  });
  return { listener, links, port: Number(new URL(listener.address).port) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function record(link: Link): { frames: LinkFrame[]; closed: string[] } {
  const seen = { frames: [] as LinkFrame[], closed: [] as string[] };
  link.open({ frame: (f) => seen.frames.push(f), drain: () => undefined, closed: (reason) => seen.closed.push(reason) });
  return seen;
}

describe('the token in the first message', () => {
  it('accepts the right token: frames flow both ways, one message each', async () => {
    const { listener, links } = await listen();
    const client = await websocketDialer(listener.address, { token: 'right-token' }).dial();
    cleanups.push(() => client.destroy('test done'));
    const atClient = record(client);
    await waitFor(() => links.length === 1);
    const atServer = record(links[0]!);
    // Without an engine raising it after the Hello, a link accepts 64 KiB frames.
    client.maxFrameBytes = 1024 * 1024;
    client.send({ kind: 7, version: 1, body: Uint8Array.of(1, 2, 3) });
    links[0]!.send({ kind: 8, version: 2, body: new Uint8Array(100_000).fill(9) });
    await waitFor(() => atServer.frames.length === 1 && atClient.frames.length === 1);
    expect({ ...atServer.frames[0], body: [...atServer.frames[0]!.body] }).toEqual({ kind: 7, version: 1, body: [1, 2, 3] });
    expect(atClient.frames[0]!.kind).toBe(8);
    expect(atClient.frames[0]!.version).toBe(2);
    expect(Buffer.from(atClient.frames[0]!.body).equals(Buffer.alloc(100_000, 9))).toBe(true);
    expect(listener.stats()).toMatchObject({ accepted: 1, refusedToken: 0, pendingAuth: 0 });
  });

  it('refuses a wrong token with UNAUTHENTICATED and close code 4401; no link is made, no data flows', async () => {
    const { listener, links, port } = await listen();
    const error = await rejection(websocketDialer(listener.address, { token: 'wrong-token' }).dial());
    expect(isStatemeshError(error, 'UNAUTHENTICATED')).toBe(true);
    expect((error as Error).message).toContain('4401');
    // By hand: a wrong auth message followed at once by a statemesh frame.
    const raw = await RawWebSocket.open(port);
    raw.send(encodeAuthMessage('wrong'));
    raw.send(new Uint8Array(64).fill(1));
    await raw.whenEnded();
    expect(raw.close?.code).toBe(CLOSE_CODE.unauthorized);
    expect(raw.messages).toEqual([]);
    expect(links).toEqual([]);
    expect(listener.stats()).toMatchObject({ accepted: 0, refusedToken: 2, pendingAuth: 0 });
  });

  it('refuses a missing token, and a first message that is not the auth message (4400)', async () => {
    const { listener, links, port } = await listen();
    expect(isStatemeshError(await rejection(websocketDialer(listener.address).dial()), 'UNAUTHENTICATED')).toBe(true);
    for (const first of [new Uint8Array(12), 'not json', '{"type":"hello"}', '{"type":"statemesh-auth","version":2,"token":"right-token"}']) {
      const raw = await RawWebSocket.open(port);
      raw.send(first);
      await raw.whenEnded();
      expect(raw.close?.code).toBe(CLOSE_CODE.badFirstMessage);
    }
    expect(links).toEqual([]);
    expect(listener.stats()).toMatchObject({ refusedToken: 1, refusedFirstMessage: 4 });
  });

  it('closes a connection that sends no auth message in time with 4408, counted', async () => {
    const { listener, links, port } = await listen({ authTimeoutMs: 150 });
    const raw = await RawWebSocket.open(port);
    await waitFor(() => listener.stats().pendingAuth === 1);
    await raw.whenEnded();
    expect(raw.close?.code).toBe(CLOSE_CODE.authTimeout);
    expect(links).toEqual([]);
    expect(listener.stats()).toMatchObject({ authTimeouts: 1, pendingAuth: 0 });
  });

  it('a node with the wrong token never becomes a peer, and its writes never arrive', async () => {
    const nodes = new Nodes();
    cleanups.push(() => nodes.closeAll());
    const listener = websocketListener({ token: 'right-token' });
    const a = { host: new RecordingHost(), transport: new ProtocolTransport({ nodeId: 'a', clusterId: 'test', listeners: [listener], onError: () => undefined }) };
    cleanups.push(() => a.transport.close());
    await a.transport.start(a.host);
    const b = await nodes.start('b', { seeds: [listener.address], dial: { token: 'wrong-token' } });
    await waitFor(() => listener.stats().refusedToken >= 2, { message: 'two dials refused' });
    b.transport.publish([mutation('b', 1)]);
    const c = await nodes.start('c', { seeds: [listener.address], dial: { token: 'right-token' } });
    await waitFor(() => a.host.upPeers().includes('c'));
    c.transport.publish([mutation('c', 1)]);
    await waitFor(() => a.host.mutations('c').length === 1);
    expect(a.host.upPeers()).toEqual(['c']);
    expect(a.host.mutations('b')).toEqual([]);
    expect(b.transport.peers().filter((p) => p.state === 'up')).toEqual([]);
    expect(listener.stats().accepted).toBe(1);
  });
});

describe('origins, paths and the listen address', () => {
  it('refuses a browser Origin not in allowedOrigins with HTTP 403, counted; allows a listed one and none', async () => {
    const { listener, port } = await listen({ allowedOrigins: ['https://viewer.example'] });
    await expect(RawWebSocket.open(port, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const good = await RawWebSocket.open(port, { origin: 'https://viewer.example' });
    const none = await RawWebSocket.open(port);
    good.destroy();
    none.destroy();
    expect(listener.stats().refusedOrigin).toBe(1);
  });

  it('refuses an upgrade checkRequest turns down with HTTP 403, counted apart from origins', async () => {
    const { listener, port } = await listen({ checkRequest: (request) => request.headers.origin !== 'https://evil.example' });
    await expect(RawWebSocket.open(port, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const none = await RawWebSocket.open(port);
    none.destroy();
    expect(listener.stats()).toMatchObject({ refusedRequest: 1, refusedOrigin: 0 });
  });

  it('attaches to an existing HTTP server at its path, leaving the server’s own requests and other paths alone', async () => {
    const server = createServer((_request, response) => response.end('app'));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const { listener, links } = await listen({ server, path: '/sync' });
    expect(listener.address).toBe(`ws://127.0.0.1:${port}/sync`);
    const client = await websocketDialer(listener.address, { token: 'right-token' }).dial();
    cleanups.push(() => client.destroy('test done'));
    await waitFor(() => links.length === 1);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
    await expect(RawWebSocket.open(port, { path: '/elsewhere' })).rejects.toThrow(/404/);
    // close() detaches from the server without closing it.
    await listener.close();
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
    server.closeAllConnections();
  });

  it('refuses to start on a non-loopback interface without TLS and a token, unless insecure', async () => {
    for (const options of [{ host: '0.0.0.0' }, { host: '0.0.0.0', token: 'a-listener-token' }]) {
      const listener = websocketListener(options);
      let thrown: unknown;
      try {
        await listener.start(() => undefined);
      } catch (error) {
        thrown = error;
      }
      expect(isStatemeshError(thrown, 'TLS_REQUIRED')).toBe(true);
      expect((thrown as Error).message).toContain('insecure: true');
      await listener.close();
    }
    const insecure = websocketListener({ host: '0.0.0.0', insecure: true });
    await insecure.start(() => undefined);
    expect(insecure.address).toMatch(/^ws:\/\/0\.0\.0\.0:\d+\/statemesh$/);
    await insecure.close();
  });

  it('refuses a token shorter than 8 bytes to listen with (INVALID_CONFIG), and an empty one or one over 1024 bytes to dial with', () => {
    expect(() => websocketListener({ token: 'short' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(/token must be a string of 8 to 1024 bytes/) }));
    for (const token of ['', 'x'.repeat(1025)]) {
      expect(() => websocketDialer('ws://127.0.0.1:1/statemesh', { token })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });

  it('rejects IO_ERROR when nothing listens, and a busy port', async () => {
    const { port } = await listen();
    expect(isStatemeshError(await rejection(websocketDialer('ws://127.0.0.1:1/statemesh', { token: 'right-token' }).dial()), 'IO_ERROR')).toBe(true);
    const second = websocketListener({ port });
    expect(isStatemeshError(await rejection(second.start(() => undefined)), 'IO_ERROR')).toBe(true);
    await second.close();
  });
});
