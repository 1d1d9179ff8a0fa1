// Refusals the protocol engine decides, as a gRPC peer sees them: a status and a `statemesh-code` trailer, not
// OK; and refused tokens counted once, by the engine, on both the listening and the dialling side.
import { status as Status } from '@grpc/grpc-js';
import type { StatemeshError } from '@statemesh/contracts';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { CODE_TRAILER, grpcDialer, grpcListener } from '@statemesh/transport-grpc';
import { encodeEnvelope, type Frame } from '@statemesh/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { openRaw, type RawStream } from './fixtures/raw-client.ts';

const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

async function node(nodeId: string, options: { token?: string; seeds?: string[]; outboundToken?: string } = {}) {
  const errors: StatemeshError[] = [];
  const listener = grpcListener('127.0.0.1:0', { auth: { expectedToken: options.token }, onError: () => {} });
  const transport = new ProtocolTransport({
    nodeId,
    clusterId: 'alpha',
    listeners: [listener],
    dialers: (options.seeds ?? []).map((seed) => grpcDialer(seed, { auth: { outboundToken: options.outboundToken } })),
    reconnect: { initialMs: 10, maxMs: 20 },
    onError: (error) => errors.push(error as StatemeshError),
  });
  await transport.start(new RecordingHost());
  opened.push(transport);
  return { transport, listener, errors };
}

const hello = (cluster: string, versions = { min: 1, max: 1 }): Frame => ({
  kind: 'hello',
  node: 'probe',
  cluster,
  minVersion: versions.min,
  maxVersion: versions.max,
  vector: {},
  interests: [],
  capabilities: [],
});

function raw(address: string, token?: string): RawStream {
  const stream = openRaw(address, token === undefined ? {} : { token });
  opened.push(stream);
  return stream;
}

describe('refusals carry a status', () => {
  it('a peer of another cluster sees FAILED_PRECONDITION with CLUSTER_MISMATCH, after the Goodbye', async () => {
    const { listener, errors } = await node('a');
    const peer = raw(listener.address);
    peer.call.write(encodeEnvelope(hello('beta')));
    const status = await peer.status;
    expect(status.code).toBe(Status.FAILED_PRECONDITION);
    expect(status.metadata.get(CODE_TRAILER)).toEqual(['CLUSTER_MISMATCH']);
    expect(peer.received.map((f) => f.kind)).toEqual(['hello', 'goodbye']);
    expect(errors.map((e) => e.code)).toContain('CLUSTER_MISMATCH');
  });

  it('no version in common is FAILED_PRECONDITION with VERSION_MISMATCH', async () => {
    const { listener } = await node('a');
    const peer = raw(listener.address);
    peer.call.write(encodeEnvelope(hello('alpha', { min: 90, max: 99 })));
    const status = await peer.status;
    expect(status.code).toBe(Status.FAILED_PRECONDITION);
    expect(status.metadata.get(CODE_TRAILER)).toEqual(['VERSION_MISMATCH']);
  });

  it('a frame before the Hello is INVALID_ARGUMENT with MALFORMED_FRAME', async () => {
    const { listener, transport } = await node('a');
    const peer = raw(listener.address);
    peer.call.write(encodeEnvelope({ kind: 'heartbeat', node: 'probe', sentAtMs: 1 }));
    const status = await peer.status;
    expect(status.code).toBe(Status.INVALID_ARGUMENT);
    expect(status.metadata.get(CODE_TRAILER)).toEqual(['MALFORMED_FRAME']);
    expect(transport.stats().badFrames).toBe(1);
  });

  it('a Hello of this cluster is accepted: the call stays open, no Goodbye', async () => {
    const { listener, transport } = await node('a');
    const peer = raw(listener.address);
    peer.call.write(encodeEnvelope(hello('alpha')));
    await waitFor(() => transport.peers().length === 1 && peer.received.length > 0, { message: 'the probe is a peer, with our Hello' });
    expect(peer.received[0]?.kind).toBe('hello');
    expect(peer.received.map((f) => f.kind)).not.toContain('goodbye');
    expect(transport.openLinks()).toBe(1);
  });
});

describe('auth refusals are counted by the engine', () => {
  it("counts the listener's token refusals in stats().authFailures", async () => {
    const { listener, transport } = await node('a', { token: 'right-token' });
    for (const token of [undefined, 'wrong-token']) expect((await raw(listener.address, token).status).code).toBe(Status.UNAUTHENTICATED);
    expect(transport.stats().authFailures).toBe(2);
  });

  it('counts every refused dial on the dialling side, and reports each distinct reason once', async () => {
    const server = await node('a', { token: 'right-token' });
    const client = await node('b', { seeds: [server.listener.address], outboundToken: 'wrong-token' });
    await waitFor(() => client.transport.stats().authFailures >= 3, { message: 'three refused dials' });
    expect(server.transport.stats().authFailures).toBeGreaterThanOrEqual(3);
    expect(client.errors.filter((e) => e.code === 'UNAUTHENTICATED')).toHaveLength(1);
    expect(client.transport.peers()).toEqual([]);
  });
});
