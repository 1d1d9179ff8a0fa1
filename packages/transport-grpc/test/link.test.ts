// The gRPC link on its own, over real loopback HTTP/2: frames through, back-pressure, limits, closing from
// either side, refusals by status, TLS and tokens, and the safe defaults of a listener.
import { status as Status } from '@grpc/grpc-js';
import { isStatemeshError } from '@statemesh/contracts';
import { waitFor } from '@statemesh/contracts/testing';
import { CODE_TRAILER, GRPC_MAX_FRAME_BYTES, GrpcLink, grpcDialer, grpcListener } from '@statemesh/transport-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { certificateFor, certificates } from './fixtures/certificates.ts';
import { LinkPairs, frame, type Recorded } from './fixtures/link-pair.ts';
import { openRaw } from './fixtures/raw-client.ts';

const pairs = new LinkPairs();
afterEach(() => pairs.release());

const closed = (end: Recorded, what: string) => waitFor(() => end.closed !== undefined, { message: what });

describe('frames', () => {
  it('carries frames both ways, in order, kind, version and body intact (unknown kinds and empty bodies too)', async () => {
    const { server, client } = await pairs.pair();
    server.link.maxFrameBytes = client.link.maxFrameBytes = 1 << 20;
    const sent = [frame(1, 40), frame(2, 0), frame(99, 5), frame(0xffff, 3), frame(4, 200_000)];
    for (const f of sent) expect(client.link.send(f)).toBe(true);
    for (const f of sent) server.link.send(f);
    await waitFor(() => server.frames.length === sent.length && client.frames.length === sent.length, { message: 'every frame arrived' });
    expect(server.frames).toEqual(sent);
    expect(client.frames).toEqual(sent);
    expect(client.link.dialed).toBe(true);
    expect(server.link.dialed).toBe(false);
    expect(server.link.remoteAddress).toMatch(/^grpc:\/\/127\.0\.0\.1:\d+$/);
    expect(client.link.authenticatedIds).toBeUndefined();
  });

  it('returns false past the high-water mark, then drains, and every frame still arrives', async () => {
    const { server, client } = await pairs.pair({}, { highWaterMarkBytes: 64 * 1024 });
    server.link.maxFrameBytes = 1 << 20;
    const results: boolean[] = [];
    for (let i = 0; i < 64; i++) results.push(client.link.send(frame(2, 16 * 1024)));
    expect(results[0]).toBe(true);
    expect(results).toContain(false);
    expect(client.link.bufferedBytes).toBeGreaterThan(64 * 1024);
    await waitFor(() => client.drains === 1, { message: 'drain' });
    await waitFor(() => server.frames.length === 64, { message: 'all 64 frames' });
    expect(client.link.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('closes with FRAME_TOO_LARGE on a frame over maxFrameBytes, the sender told by status', async () => {
    const { server, client } = await pairs.pair();
    server.link.maxFrameBytes = 1_000;
    client.link.send(frame(2, 1_000));
    client.link.send(frame(2, 1_001));
    await closed(server, 'the receiver closed');
    expect(server.frames).toHaveLength(1);
    server.link.maxFrameBytes = 64 * 1024 * 1024;
    expect(server.link.maxFrameBytes).toBe(GRPC_MAX_FRAME_BYTES); // never above what a gRPC message carries
    expect(isStatemeshError(server.closed!.error, 'FRAME_TOO_LARGE')).toBe(true);
    await closed(client, 'the sender learned');
    expect(client.closed!.reason).toMatch(/RESOURCE_EXHAUSTED \(FRAME_TOO_LARGE\)/);
    expect(client.closed!.error).toBeUndefined(); // the sender's link framed everything it got
  });

  it('refuses to send a frame over its own limit, closing the link', async () => {
    const { client } = await pairs.pair({}, { maxFrameBytes: 10_000 });
    expect(client.link.send(frame(2, 10_001))).toBe(false);
    await closed(client, 'closed');
    expect(client.closed!.reason).toMatch(/^FRAME_TOO_LARGE: a frame of kind 2 has 10001 bytes/);
  });

  it('closes with MALFORMED_FRAME on a message that is not one Envelope field, answering INVALID_ARGUMENT', async () => {
    const { listener, accepted } = await pairs.listen();
    const raw = openRaw(listener.address, { read: false });
    raw.call.write(Uint8Array.from([0x08, 0x01])); // field 1 as a varint: not a frame
    const status = await raw.status;
    expect(status.code).toBe(Status.INVALID_ARGUMENT);
    expect(status.metadata.get(CODE_TRAILER)).toEqual(['MALFORMED_FRAME']);
    await waitFor(() => accepted[0]?.closed !== undefined, { message: 'the link closed' });
    expect(isStatemeshError(accepted[0]!.closed!.error, 'MALFORMED_FRAME')).toBe(true);
  });
});

describe('closing', () => {
  it('end() from the dialler delivers what was queued, then both sides report closed', async () => {
    const { server, client } = await pairs.pair();
    client.link.send(frame(8, 10));
    client.link.end('done');
    await closed(server, 'server side closed');
    await closed(client, 'client side closed');
    expect(server.frames).toEqual([frame(8, 10)]);
    expect(client.closed!.error).toBeUndefined();
    expect(client.link.send(frame(7, 1))).toBe(false);
  });

  it('end() from the served side delivers what was queued, then both sides report closed', async () => {
    const { server, client } = await pairs.pair();
    server.link.send(frame(8, 10));
    server.link.end('done');
    await closed(client, 'client side closed');
    await closed(server, 'server side closed');
    expect(client.frames).toEqual([frame(8, 10)]);
    expect(client.closed!.error).toBeUndefined();
  });

  it('after the served side ends, what the dialler sent before the Goodbye reached it still arrives', async () => {
    const { server, client } = await pairs.pair();
    server.link.send(frame(8, 4)); // a Goodbye: the dialler half-closes on it
    server.link.end('duplicate link');
    for (let i = 0; i < 5; i++) client.link.send({ kind: 2, version: 1, body: Uint8Array.of(i) }); // crossing the Goodbye
    await closed(server, 'server side closed');
    await closed(client, 'client side closed');
    expect(server.frames.map((f) => f.body[0])).toEqual([0, 1, 2, 3, 4]);
    expect(client.closed!.reason).toBe('the other side said goodbye');
  });

  it('destroy() on either side closes the other', async () => {
    const first = await pairs.pair();
    first.client.link.destroy('gone');
    await closed(first.server, 'server side closed');
    const second = await pairs.pair();
    second.server.link.destroy('gone');
    await closed(second.client, 'client side closed');
    expect(first.client.closed?.reason).toBe('gone');
    expect(second.server.closed?.reason).toBe('gone');
  });

  it('a refusal with a code ends the call with its status and the code in the trailers', async () => {
    const { server, client } = await pairs.pair();
    (server.link as GrpcLink).end('another cluster', 1_000, 'CLUSTER_MISMATCH');
    await closed(client, 'client side closed');
    expect(client.closed!.reason).toMatch(/FAILED_PRECONDITION \(CLUSTER_MISMATCH\): another cluster/);
  });

  it('frames that arrive before open() are delivered first, and a close before open() after them', async () => {
    const { listener, accepted } = await pairs.listen();
    const link = await grpcDialer(listener.address).dial();
    await waitFor(() => accepted.length === 1, { message: 'accepted' });
    accepted[0]!.link.send(frame(1, 3));
    accepted[0]!.link.end('bye');
    await new Promise((resolve) => setTimeout(resolve, 50)); // let them arrive unopened
    const late: string[] = [];
    link.open({ frame: (f) => late.push(`frame ${f.kind}`), drain: () => {}, closed: () => late.push('closed') });
    await waitFor(() => late.includes('closed'), { message: 'closed after the frame' });
    expect(late).toEqual(['frame 1', 'closed']);
  });

  it('a closed listener refuses new calls and lets nothing keep the process alive once its links close', async () => {
    const { listener, server, client } = await pairs.pair();
    await listener.close();
    await expect(grpcDialer(listener.address).dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'PEER_UNAVAILABLE'));
    client.link.send(frame(7, 1)); // the accepted link still works
    await waitFor(() => server.frames.length === 1, { message: 'frame on the accepted link' });
    client.link.end('bye');
    await closed(server, 'closed');
  });
});

describe('authentication', () => {
  it('refuses a call without the token or with a wrong one (UNAUTHENTICATED, counted), accepts the right one', async () => {
    const { listener, accepted } = await pairs.listen({ auth: { expectedToken: 's3cret-token' } });
    for (const token of [undefined, 'wrong']) {
      await expect(grpcDialer(listener.address, token === undefined ? {} : { auth: { outboundToken: token } }).dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'UNAUTHENTICATED'));
    }
    expect(listener.authFailures).toBe(2);
    const raw = openRaw(listener.address, { token: 'nope' });
    expect((await raw.status).code).toBe(Status.UNAUTHENTICATED);
    await grpcDialer(listener.address, { auth: { outboundToken: 's3cret-token' } }).dial().then((link) => link.destroy('ok'));
    await waitFor(() => accepted.length === 1, { message: 'accepted with the token' });
  });

  it('over mutual TLS, each side proves the names of the other’s certificate', async () => {
    const { ca } = certificates();
    const a = certificateFor('node-a');
    const b = certificateFor('node-b');
    const { server, client } = await pairs.pair({ tls: { ca, ...a, requireClientAuth: true } }, { tls: { ca, ...b } });
    expect(server.link.authenticatedIds).toEqual(['node-b', 'localhost']);
    expect(client.link.authenticatedIds).toEqual(['node-a', 'localhost']);
    client.link.send(frame(1, 10));
    await waitFor(() => server.frames.length === 1, { message: 'a frame over TLS' });
  });

  it('refuses a client certificate from another CA, and a plaintext client', async () => {
    const { ca, node, untrusted, untrustedCa } = certificates();
    const { listener, accepted } = await pairs.listen({ tls: { ca, ...node, requireClientAuth: true } });
    await expect(grpcDialer(listener.address, { tls: { ca, ...untrusted } }).dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'PEER_UNAVAILABLE'));
    await expect(grpcDialer(listener.address).dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'PEER_UNAVAILABLE'));
    await expect(grpcDialer(listener.address, { tls: { ca: untrustedCa, ...node } }).dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'PEER_UNAVAILABLE'));
    expect(accepted).toHaveLength(0);
  });
});

describe('safe defaults', () => {
  it('a port alone listens on loopback', async () => {
    const listener = grpcListener('0', { onError: () => {} });
    await listener.start(() => {});
    expect(listener.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await listener.close();
  });

  it('refuses to listen off this machine without TLS and authentication, unless insecure', async () => {
    const { ca, node } = certificates();
    await expect(grpcListener('0.0.0.0:0').start(() => {})).rejects.toSatisfy((e) => isStatemeshError(e, 'TLS_REQUIRED'));
    await expect(grpcListener('0.0.0.0:0', { tls: { ca, ...node } }).start(() => {})).rejects.toSatisfy((e) => isStatemeshError(e, 'TLS_REQUIRED'));
    for (const options of [{ insecure: true }, { tls: { ca, ...node }, auth: { expectedToken: 'a-listener-token' } }]) {
      const listener = grpcListener('0.0.0.0:0', options);
      await listener.start(() => {});
      await listener.close();
    }
  });

  it('requireTls refuses plaintext on both sides; bad options are INVALID_CONFIG', async () => {
    await expect(grpcListener('127.0.0.1:0', { requireTls: true }).start(() => {})).rejects.toSatisfy((e) => isStatemeshError(e, 'TLS_REQUIRED'));
    expect(() => grpcDialer('127.0.0.1:1', { requireTls: true })).toThrow(expect.objectContaining({ code: 'TLS_REQUIRED' }));
    expect(() => grpcDialer('nowhere')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => grpcListener('127.0.0.1:0', { highWaterMarkBytes: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => grpcDialer('127.0.0.1:1', { auth: { outboundToken: 'has space' } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    // A listener's token is at least 8 bytes (a shorter one is guessed), every token at most 1024: the rule of every link.
    expect(() => grpcListener('127.0.0.1:0', { auth: { expectedToken: 'short' } })).toThrow(/auth.expectedToken must be a string of 8 to 1024 bytes of printable ASCII/);
    expect(() => grpcDialer('127.0.0.1:1', { auth: { outboundToken: 'x'.repeat(1025) } })).toThrow(/auth.outboundToken must be a string of 1 to 1024 bytes/);
  });

  it('a dial to a closed port rejects PEER_UNAVAILABLE; an aborted dial rejects CANCELLED', async () => {
    await expect(grpcDialer('127.0.0.1:1').dial()).rejects.toSatisfy((e) => isStatemeshError(e, 'PEER_UNAVAILABLE'));
    await expect(grpcDialer('127.0.0.1:1').dial(AbortSignal.abort())).rejects.toSatisfy((e) => isStatemeshError(e, 'CANCELLED'));
  });
});
