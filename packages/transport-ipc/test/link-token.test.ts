// IPC over TCP takes a token (DESIGN section 7, issue 13 finding 7); Unix sockets are owner-only files.
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { freePort } from '@statemesh/contracts/testing';
import { ipcDialer, ipcListener, ipcTransport } from '@statemesh/transport-ipc';
import { encodeIpcFrame } from '@statemesh/wire';
import { TestNodes } from './fixtures/nodes.ts';
import { SimpleHost } from './fixtures/simple-host.ts';

const TOKEN = 'a-long-link-token';
let nodes: TestNodes;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.close()));
  await nodes.release();
});

async function node(nodeId: string, options: { listen?: string; seeds?: string[]; token?: string }): Promise<{ transport: ReturnType<typeof ipcTransport>; host: SimpleHost }> {
  const transport = ipcTransport({
    nodeId,
    clusterId: 'token',
    listen: options.listen,
    seeds: options.seeds,
    heartbeatIntervalMs: 1000,
    reconnect: { initialMs: 20, maxMs: 100 },
    link: { token: options.token, tokenTimeoutMs: 2000 },
    onError: () => undefined,
  });
  opened.push(transport);
  const host = new SimpleHost();
  await transport.start(host);
  return { transport, host };
}

describe('IPC link token', () => {
  it('accepts a TCP link that presents the token, refuses and counts those that do not', async () => {
    nodes = new TestNodes();
    const at = `tcp://127.0.0.1:${await freePort()}`;
    const a = await node('a', { listen: at, token: TOKEN });
    const b = await node('b', { seeds: [at], token: TOKEN });
    await b.host.until(() => b.host.upPeers().includes('a'), 10_000, 'b up with a');
    await a.host.until(() => a.host.upPeers().includes('b'), 10_000, 'a up with b');

    const c = await node('c', { seeds: [at] }); // no token: sends its Hello first
    const d = await node('d', { seeds: [at], token: 'not-the-right-token' });
    await a.host.until(() => a.transport.stats().authFailures >= 2, 10_000, 'two refusals counted');
    expect(a.host.upPeers()).toEqual(['b']);
    expect(c.host.upPeers()).toEqual([]);
    expect(d.host.upPeers()).toEqual([]);
  });

  it('refuses a raw connection that sends a Hello without a token, and one that sends nothing in time', async () => {
    nodes = new TestNodes();
    const port = await freePort();
    const a = await node('a', { listen: `tcp://127.0.0.1:${port}`, token: TOKEN });
    const closedAfter = (bytes?: Uint8Array): Promise<void> =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port }, () => {
          if (bytes !== undefined) socket.write(bytes);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
    const hello = encodeIpcFrame({ kind: 'hello', node: 'forger', cluster: 'token', minVersion: 1, maxVersion: 1, vector: {}, interests: [], capabilities: [], heartbeatIntervalMs: 1000, instance: 'x' });
    await closedAfter(hello);
    await closedAfter(); // silent: closed after tokenTimeoutMs
    expect(a.transport.stats().authFailures).toBe(2);
    expect(a.host.upPeers()).toEqual([]);
  });

  it('refuses to listen on TCP without a token (INVALID_CONFIG saying what to do) unless insecure is set', async () => {
    nodes = new TestNodes();
    let refusal: unknown;
    try {
      ipcListener('tcp://127.0.0.1:0');
    } catch (error) {
      refusal = error;
    }
    expect(isStatemeshError(refusal, 'INVALID_CONFIG')).toBe(true);
    expect((refusal as Error).message).toMatch(/^@statemesh\/transport-ipc: refusing to listen on tcp:\/\/127\.0\.0\.1:0 without a token.*insecure: true/);
    expect(() => ipcTransport({ nodeId: 'a', clusterId: 'token', listen: 'tcp://127.0.0.1:0', link: { insecure: false } })).toThrow(/without a token/);
    // Said explicitly, an open TCP listener starts and links a peer without a token; a Unix socket needs no token.
    const at = `tcp://127.0.0.1:${await freePort()}`;
    const open = ipcTransport({ nodeId: 'a', clusterId: 'token', listen: at, link: { insecure: true }, onError: () => undefined });
    opened.push(open);
    const host = new SimpleHost();
    await open.start(host);
    const b = await node('b', { seeds: [at] });
    await host.until(() => host.upPeers().includes('b'), 10_000, 'b up on the open listener');
    expect(b.host.upPeers()).toEqual(['a']);
    expect(() => ipcListener(nodes.path('unix'))).not.toThrow();
  });

  it('closes the connections still waiting for their token when the listener closes, and holds at most 64 waiting', async () => {
    nodes = new TestNodes();
    const port = await freePort();
    const listener = ipcListener(`tcp://127.0.0.1:${port}`, { token: TOKEN, tokenTimeoutMs: 60_000 });
    await listener.start(() => undefined);
    const silent = (): Promise<{ closed: Promise<void> }> =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port }, () => resolve({ closed }));
        const closed = new Promise<void>((done) => socket.on('close', () => done()));
        socket.on('error', () => undefined);
      });
    const waiting = [];
    for (let i = 0; i < 64; i++) waiting.push(await silent());
    const extra = await silent(); // the 65th is refused at once, long before its time limit
    await extra.closed;
    expect(listener.authFailures).toBe(1);
    await listener.close();
    await Promise.all(waiting.map((connection) => connection.closed)); // not left open until the time limit
    expect(listener.authFailures).toBe(1);
  });

  it('refuses a token shorter than 8 bytes when listening, and an empty one or one over 1024 bytes when dialling', () => {
    nodes = new TestNodes();
    expect(() => ipcListener('tcp://127.0.0.1:0', { token: 'short' })).toThrow(expect.toSatisfy((e: unknown) => isStatemeshError(e, 'INVALID_CONFIG')));
    for (const token of ['', 'x'.repeat(1025)]) {
      expect(() => ipcDialer('tcp://127.0.0.1:1', { token })).toThrow(/the link token must be a string of 1 to 1024 bytes/);
    }
  });

  it('creates its Unix socket file owner-only (0600), whatever the umask', async () => {
    nodes = new TestNodes();
    const path = nodes.path('owner');
    const previous = process.umask(0o000);
    try {
      await node('owner', { listen: path });
    } finally {
      process.umask(previous);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
