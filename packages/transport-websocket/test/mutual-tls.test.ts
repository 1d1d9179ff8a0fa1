// wss with client certificates: a client without one cannot connect, and a client's Hello must name a node id
// its certificate proves (the engine checks the link's authenticatedIds).
import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError, type StatemeshError } from '@statemesh/contracts';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { websocketDialer, websocketListener } from '@statemesh/transport-websocket';
import { Nodes, mutation } from './fixtures/nodes.ts';
import { selfSigned } from './fixtures/self-signed.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('mutual TLS', () => {
  it('refuses a client without a certificate, and a Hello naming a node its certificate does not prove', async () => {
    const server = selfSigned();
    const b = selfSigned('b');
    const listener = websocketListener({ port: 0, token: 'mutual-tls-token', tls: { cert: server.cert, key: server.key, ca: b.cert, requireClientAuth: true } });
    const errors: StatemeshError[] = [];
    const host = new RecordingHost();
    const a = new ProtocolTransport({ nodeId: 'a', clusterId: 'test', listeners: [listener], onError: (error) => errors.push(error) });
    cleanups.push(() => a.close());
    await a.start(host);
    const url = listener.address.replace('127.0.0.1', 'localhost');
    expect(url).toMatch(/^wss:\/\/localhost:\d+\/statemesh$/);

    let thrown: unknown;
    try {
      const link = await websocketDialer(url, { token: 'mutual-tls-token', tls: { ca: server.cert } }).dial();
      link.destroy('unexpected');
    } catch (error) {
      thrown = error;
    }
    expect(isStatemeshError(thrown, 'IO_ERROR')).toBe(true);

    const nodes = new Nodes();
    cleanups.push(() => nodes.closeAll());
    const withCert = { token: 'mutual-tls-token', tls: { ca: server.cert, cert: b.cert, key: b.key } };
    // Node c borrows b's certificate: the TLS handshake passes, the Hello does not.
    const c = await nodes.start('c', { seeds: [url], dial: withCert });
    await waitFor(() => errors.some((e) => isStatemeshError(e, 'UNAUTHENTICATED')), { message: 'c refused' });
    c.transport.publish([mutation('c', 1)]);
    const real = await nodes.start('b', { seeds: [url], dial: withCert });
    await waitFor(() => host.upPeers().includes('b'), { message: 'b up' });
    real.transport.publish([mutation('b', 1)]);
    await waitFor(() => host.mutations('b').length === 1, { message: "b's write" });
    expect(host.upPeers()).toEqual(['b']);
    expect(host.mutations('c')).toEqual([]);
  });
});
