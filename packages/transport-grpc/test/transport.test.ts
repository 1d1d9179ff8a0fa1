import { status } from '@grpc/grpc-js';
import { isStatemeshError } from '@statemesh/contracts';
import { waitFor } from '@statemesh/contracts/testing';
import { GrpcTransport } from '@statemesh/transport-grpc';
import { encodeEnvelope } from '@statemesh/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { TestNodes, isUp, mutation } from './fixtures/nodes.ts';
import { helloBytes, openRaw } from './fixtures/raw-client.ts';

const nodes = new TestNodes();
afterEach(() => nodes.release());

describe('options', () => {
  it('reports the real port when asked to listen on port 0', async () => {
    const a = await nodes.start('a');
    expect(a.transport.address()).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(a.transport.address()).not.toBe('127.0.0.1:0');
  });

  it('rejects bad ids, addresses and numbers with a typed error', () => {
    const make = (options: object) => () => new GrpcTransport({ nodeId: 'a', clusterId: 'c', ...options });
    expect(make({ nodeId: 'no spaces' })).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
    expect(make({ listen: 'localhost' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(make({ seeds: ['127.0.0.1:0'] })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(make({ heartbeatIntervalMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(make({ auth: { outboundToken: 'has space' } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new GrpcTransport({ nodeId: 'a', clusterId: 'c', listen: '[::1]:0', seeds: ['node-b.example:7000'] })).not.toThrow();
  });

  it('fails start with IO_ERROR when the address is taken', async () => {
    const a = await nodes.start('a');
    const error: unknown = await nodes.start('b', { listen: a.transport.address()! }).catch((e: unknown) => e);
    expect(isStatemeshError(error, 'IO_ERROR')).toBe(true);
  });
});

describe('bad input', () => {
  it('garbage bytes end that stream with INVALID_ARGUMENT and count a bad frame; the server and other peers go on', async () => {
    const server = await nodes.start('server');
    const friend = await nodes.start('friend', { listen: undefined, seeds: [server.transport.address()!] });
    await waitFor(() => isUp(server, 'friend'), { message: 'friend up' });
    for (let round = 0; round < 3; round++) {
      const raw = nodes.track(openRaw(server.transport.address()!));
      raw.call.write(helloBytes(`garbage${round}`, 'test'));
      const garbage = new Uint8Array(512);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + round * 17) & 0xff;
      raw.call.write(garbage);
      const ended = await raw.status;
      expect(ended.code).toBe(status.INVALID_ARGUMENT);
    }
    await waitFor(() => server.transport.stats().badFrames === 3, { message: 'three bad frames counted' });
    expect(server.errors.filter((e) => isStatemeshError(e, 'MALFORMED_FRAME'))).toHaveLength(3);
    expect(friend.transport.publish([mutation('friend', 1)])).toBe(1);
    await waitFor(() => server.host.mutations('friend').length === 1, { message: 'friend still delivers' });
    expect(server.host.eventsFor('friend').map((e) => e.type)).not.toContain('down');
  });

  it('a frame before Hello is a protocol error', async () => {
    const server = await nodes.start('server');
    const raw = nodes.track(openRaw(server.transport.address()!));
    raw.call.write(encodeEnvelope({ kind: 'heartbeat', node: 'x', sentAtMs: 1 }));
    expect((await raw.status).code).toBe(status.INVALID_ARGUMENT);
    expect(server.transport.stats().badFrames).toBe(1);
  });

  it('a message over maxMessageBytes ends that stream with RESOURCE_EXHAUSTED; big batches are split to fit', async () => {
    const server = await nodes.start('server', { maxMessageBytes: 64 * 1024 });
    const raw = nodes.track(openRaw(server.transport.address()!));
    raw.call.write(helloBytes('big', 'test'));
    raw.call.write(encodeEnvelope({ kind: 'mutations', mutations: [mutation('big', 1, 100_000)] }));
    expect((await raw.status).code).toBe(status.RESOURCE_EXHAUSTED);

    const client = await nodes.start('client', { listen: undefined, seeds: [server.transport.address()!], maxMessageBytes: 64 * 1024 });
    await waitFor(() => isUp(client, 'server'), { message: 'client up' });
    const batch = Array.from({ length: 40 }, (_, i) => mutation('client', i + 1, 8_000));
    expect(client.transport.publish(batch)).toBe(1);
    await waitFor(() => server.host.mutations('client').length === 40, { message: 'split batch delivered' });
    expect(server.host.mutations('client').map((m) => m.seq)).toEqual(batch.map((m) => m.seq));
    expect(server.host.batches.length).toBeGreaterThan(1);
    expect(() => client.transport.publish([mutation('client', 41, 100_000)])).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
  });
});

describe('back-pressure', () => {
  it('a peer that does not read is disconnected at the high-water mark, and counted', async () => {
    const server = await nodes.start('server', { highWaterMarkBytes: 1024 * 1024 });
    // A peer that completes the Hello exchange, then never reads: grpc-js stops reading once its buffer is full.
    const raw = nodes.track(openRaw(server.transport.address()!, { read: false }));
    raw.call.write(helloBytes('sluggard', 'test'));
    await waitFor(() => server.host.upPeers().includes('sluggard'), { message: 'sluggard up' });
    let published = 0;
    await waitFor(
      () => {
        for (let i = 0; i < 20; i++) published += server.transport.publish(Array.from({ length: 100 }, (_, j) => mutation('server', i * 100 + j + 1, 1000)));
        return server.transport.stats().slowPeerDisconnects === 1;
      },
      { message: 'the slow peer dropped' },
    );
    expect(published).toBeGreaterThan(0);
    expect(server.transport.backlogBytes('sluggard')).toBe(0);
    expect(server.errors.some((e) => isStatemeshError(e, 'BACKPRESSURE'))).toBe(true);
    await waitFor(() => server.host.eventsFor('sluggard').some((e) => e.type === 'down'), { message: 'down reported' });
    expect(server.transport.openConnections()).toBe(0);
  });

  it('whenBacklogBelow paces a producer to its peer instead of dropping it', async () => {
    const server = await nodes.start('server', { highWaterMarkBytes: 512 * 1024 });
    const client = await nodes.start('client', { listen: undefined, seeds: [server.transport.address()!] });
    await waitFor(() => isUp(server, 'client'), { message: 'client up' });
    for (let i = 0; i < 200; i++) {
      await server.transport.whenBacklogBelow();
      expect(server.transport.publish(Array.from({ length: 50 }, (_, j) => mutation('server', i * 50 + j + 1, 500)))).toBe(1);
    }
    await waitFor(() => client.host.mutations('server').length === 10_000, { message: 'all delivered' });
    expect(client.host.mutations('server').map((m) => m.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(server.transport.stats().slowPeerDisconnects).toBe(0);
  });

  it('a busy stream merges queued batches into fewer messages, in order', async () => {
    const server = await nodes.start('server');
    const client = await nodes.start('client', { listen: undefined, seeds: [server.transport.address()!] });
    await waitFor(() => isUp(server, 'client'), { message: 'client up' });
    // 2 000 batches in one tick: grpc-js's buffer fills after a few, the rest queue in our writer and merge.
    for (let i = 0; i < 2_000; i++) expect(server.transport.publish([mutation('server', 2 * i + 1), mutation('server', 2 * i + 2)])).toBe(1);
    await waitFor(() => client.host.mutations('server').length === 4_000, { message: 'all delivered' });
    expect(client.host.mutations('server').map((m) => m.seq)).toEqual(Array.from({ length: 4_000 }, (_, i) => i + 1));
    expect(client.host.batches.length).toBeLessThan(2_000);
    expect(server.transport.stats().published).toBe(4_000);
  });
});
