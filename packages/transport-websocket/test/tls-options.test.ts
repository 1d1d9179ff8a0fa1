// The one TlsOptions of @statemesh/contracts on a standalone wss listener and the Node dialer: PEM as bytes,
// serverName checked instead of the URL's host, and the certificate and key a listener cannot do without.
import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError, type Link } from '@statemesh/contracts';
import { websocketDialer, websocketListener, type WebsocketListener } from '@statemesh/transport-websocket';
import { selfSigned } from './fixtures/self-signed.ts';

const token = 'tls-options-token';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(listener: WebsocketListener): Promise<WebsocketListener> {
  cleanups.push(() => listener.close());
  await listener.start((link) => cleanups.push(() => link.destroy('test over')));
  return listener;
}

async function dialed(dial: Promise<Link>): Promise<Link> {
  const link = await dial;
  cleanups.push(() => link.destroy('test over'));
  return link;
}

describe('TLS options', () => {
  it('checks the listener certificate against serverName instead of the URL host', async () => {
    // A certificate for node-b only (DNS:node-b), served on 127.0.0.1: the address's host is not one of its names.
    const nodeB = selfSigned('node-b');
    const bytes = new TextEncoder();
    const listener = await started(websocketListener({ port: 0, token, tls: { cert: bytes.encode(nodeB.cert), key: bytes.encode(nodeB.key) } }));
    expect(listener.address).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/statemesh$/);

    const link = await dialed(websocketDialer(listener.address, { token, tls: { ca: bytes.encode(nodeB.cert), serverName: 'node-b' } }).dial());
    expect(link.remoteAddress).toBe(listener.address);
    expect(listener.stats().accepted).toBe(1);

    let thrown: unknown;
    try {
      await dialed(websocketDialer(listener.address, { token, tls: { ca: nodeB.cert } }).dial());
    } catch (error) {
      thrown = error;
    }
    expect(isStatemeshError(thrown, 'IO_ERROR')).toBe(true);
    expect((thrown as Error).message).toMatch(/does not match certificate/);
    expect(listener.stats().accepted).toBe(1);
  });

  it('refuses to start a standalone wss listener without both a certificate and a key', async () => {
    const pair = selfSigned();
    for (const tls of [{ cert: pair.cert }, { key: pair.key }, { ca: pair.cert, requireClientAuth: true }]) {
      const listener = websocketListener({ port: 0, token, tls });
      cleanups.push(() => listener.close());
      let thrown: unknown;
      try {
        await listener.start(() => {});
      } catch (error) {
        thrown = error;
      }
      expect(isStatemeshError(thrown, 'TLS_REQUIRED')).toBe(true);
      expect((thrown as Error).message).toMatch(/^@statemesh\/transport-websocket: a standalone wss listener needs tls\.cert and tls\.key/);
    }
  });
});
