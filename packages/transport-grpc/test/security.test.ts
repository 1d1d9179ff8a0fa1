import { ChannelCredentials, status } from '@grpc/grpc-js';
import { isStatemeshError } from '@statemesh/contracts';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { GrpcTransport } from '@statemesh/transport-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { certificates } from './fixtures/certificates.ts';
import { TestNodes, isUp, mutation } from './fixtures/nodes.ts';
import { helloBytes, openRaw } from './fixtures/raw-client.ts';

const nodes = new TestNodes();
afterEach(() => nodes.release());

/** Waits a span during which something must NOT happen (proved by the state checked after it). */
async function during(ms: number): Promise<void> {
  const until = Date.now() + ms;
  await waitFor(() => Date.now() >= until);
}

describe('bearer tokens', () => {
  it('refuses a wrong or missing token with UNAUTHENTICATED while authenticated peers go on', async () => {
    const server = await nodes.start('server', { auth: { expectedToken: 'right-token' } });
    const address = server.transport.address()!;
    const good = await nodes.start('good', { listen: undefined, seeds: [address], auth: { outboundToken: 'right-token' } });
    await waitFor(() => isUp(good, 'server') && isUp(server, 'good'), { message: 'good peer up' });

    const wrong = await nodes.start('wrong', { listen: undefined, seeds: [address], auth: { outboundToken: 'wrong-token' } });
    await waitFor(() => wrong.errors.some((e) => isStatemeshError(e, 'UNAUTHENTICATED')), { message: 'the dialler told of UNAUTHENTICATED' });
    const missing = nodes.track(openRaw(address));
    missing.call.write(helloBytes('anonymous', 'test'));
    expect((await missing.status).code).toBe(status.UNAUTHENTICATED);

    await waitFor(() => server.transport.stats().authFailures >= 2, { message: 'authFailures counted' });
    expect(server.errors.some((e) => isStatemeshError(e, 'UNAUTHENTICATED'))).toBe(true);
    expect(wrong.transport.stats().authFailures).toBeGreaterThanOrEqual(1);
    expect(wrong.transport.peers()).toEqual([]);
    expect(server.host.events.some((e) => e.peer === 'wrong' || e.peer === 'anonymous')).toBe(false);
    // The authenticated peer was never disturbed and still delivers both ways.
    expect(good.transport.publish([mutation('good', 1)])).toBe(1);
    expect(server.transport.publish([mutation('server', 1)])).toBe(1);
    await waitFor(() => server.host.mutations('good').length === 1 && good.host.mutations('server').length === 1, { message: 'delivery' });
    expect(server.host.eventsFor('good').map((e) => e.type)).not.toContain('down');
  });
});

describe('TLS', () => {
  const { ca, node, untrusted, untrustedCa } = certificates();

  it('under mutual TLS, refuses a client whose certificate is signed by an untrusted CA, and one without a certificate', async () => {
    const server = await nodes.start('server', { tls: { ca, cert: node.cert, key: node.key, requireClientAuth: true } });
    const address = server.transport.address()!;
    const trusted = await nodes.start('trusted', { listen: undefined, seeds: [address], tls: { ca, cert: node.cert, key: node.key } });
    const stranger = await nodes.start('stranger', { listen: undefined, seeds: [address], tls: { ca, cert: untrusted.cert, key: untrusted.key } });
    const anonymous = await nodes.start('anonymous', { listen: undefined, seeds: [address], tls: { ca } });
    await waitFor(() => isUp(trusted, 'server') && isUp(server, 'trusted'), { message: 'trusted client up' });
    await waitFor(() => stranger.errors.length > 0 && anonymous.errors.length > 0, { message: 'refused clients told why' });
    const raw = nodes.track(openRaw(address, { credentials: ChannelCredentials.createSsl(Buffer.from(ca), Buffer.from(untrusted.key), Buffer.from(untrusted.cert)) }));
    raw.call.write(helloBytes('raw-stranger', 'test'));
    expect((await raw.status).code).toBe(status.UNAVAILABLE);
    await during(300);
    expect(stranger.transport.peers()).toEqual([]);
    expect(anonymous.transport.peers()).toEqual([]);
    expect(server.host.upPeers()).toEqual(['trusted']);
    expect(isStatemeshError(stranger.errors[0], 'PEER_UNAVAILABLE')).toBe(true);
  });

  it('a client that does not trust the server’s CA never connects', async () => {
    const server = await nodes.start('server', { tls: { ca, cert: node.cert, key: node.key } });
    const wary = await nodes.start('wary', { listen: undefined, seeds: [server.transport.address()!], tls: { ca: untrustedCa } });
    await waitFor(() => wary.errors.length > 0, { message: 'the client reported the failed handshake' });
    expect(wary.transport.peers()).toEqual([]);
    expect(server.host.events).toEqual([]);
  });

  it('without requireClientAuth, a TLS client needs no certificate; a token still applies', async () => {
    const server = await nodes.start('server', { tls: { cert: node.cert, key: node.key }, auth: { expectedToken: 't0ken' } });
    const client = await nodes.start('client', { listen: undefined, seeds: [server.transport.address()!], tls: { ca }, auth: { outboundToken: 't0ken' } });
    await waitFor(() => isUp(client, 'server') && isUp(server, 'client'), { message: 'TLS client up' });
    expect(client.transport.publish([mutation('client', 1)])).toBe(1);
    await waitFor(() => server.host.mutations('client').length === 1, { message: 'delivery over TLS' });
  });
});

describe('requireTls', () => {
  it('refuses to listen without a certificate: TLS_REQUIRED', async () => {
    const transport = new GrpcTransport({ nodeId: 'a', clusterId: 'test', listen: '127.0.0.1:0', requireTls: true, onError: () => {} });
    await expect(transport.start(new RecordingHost())).rejects.toMatchObject({ code: 'TLS_REQUIRED' });
    expect(transport.address()).toBeUndefined();
    await transport.close();
  });

  it('refuses to dial without TLS: TLS_REQUIRED, and a listener with only a CA is refused too', async () => {
    const dialer = new GrpcTransport({ nodeId: 'a', clusterId: 'test', seeds: ['127.0.0.1:1'], requireTls: true, onError: () => {} });
    const error: unknown = await dialer.start(new RecordingHost()).catch((e: unknown) => e);
    expect(isStatemeshError(error, 'TLS_REQUIRED')).toBe(true);
    expect((error as Error).message).toMatch(/^@statemesh\/transport-grpc: .*tls/);
    const caOnly = new GrpcTransport({ nodeId: 'b', clusterId: 'test', listen: '127.0.0.1:0', requireTls: true, tls: { ca: certificates().ca }, onError: () => {} });
    await expect(caOnly.start(new RecordingHost())).rejects.toMatchObject({ code: 'TLS_REQUIRED' });
    await Promise.all([dialer.close(), caOnly.close()]);
  });

  it('starts with TLS configured on both roles', async () => {
    const { ca, node } = certificates();
    const tls = { ca, cert: node.cert, key: node.key };
    const a = await nodes.start('a', { tls, requireTls: true });
    const b = await nodes.start('b', { tls, requireTls: true, seeds: [a.transport.address()!] });
    await waitFor(() => isUp(a, 'b') && isUp(b, 'a'), { message: 'TLS pair up' });
    expect(b.transport.publish([mutation('b', 1)])).toBe(1);
    await waitFor(() => a.host.mutations('b').length === 1, { message: 'delivery under requireTls' });
    expect(a.errors).toEqual([]);
  });
});
