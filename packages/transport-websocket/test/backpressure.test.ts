// Back-pressure on the Node side: a client that stops reading fills the listener link's queue up to its
// high-water mark, `send` says so, and `drain` follows once the client reads again.
import { afterEach, describe, expect, it } from 'vitest';
import type { Link, Mutation } from '@statemesh/contracts';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { encodeAuthMessage, websocketListener } from '@statemesh/transport-websocket';
import { encodeIpcFrame } from '@statemesh/wire';
import { RawWebSocket } from './fixtures/raw-websocket.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a client that never reads', () => {
  it('gets back-pressure at the high-water mark (send returns false, the queue stops growing), then drain', async () => {
    const highWaterMarkBytes = 512 * 1024;
    const listener = websocketListener({ token: 'backpressure-token', highWaterMarkBytes });
    const links: Link[] = [];
    await listener.start((link) => links.push(link));
    cleanups.push(async () => {
      await listener.close();
      for (const link of links) link.destroy('test done');
    });
    const raw = await RawWebSocket.open(Number(new URL(listener.address).port));
    cleanups.push(() => raw.destroy());
    raw.send(encodeAuthMessage('backpressure-token'));
    await waitFor(() => links.length === 1 && raw.messages.length === 1, { message: 'authenticated' });
    raw.socket.pause(); // reads nothing more: the kernel buffers fill, then the link's queue

    const link = links[0]!;
    let drains = 0;
    link.open({ frame: () => undefined, drain: () => drains++, closed: () => undefined });
    const frame = { kind: 2, version: 1, body: new Uint8Array(64 * 1024) };
    let sent = 0;
    for (; sent < 10_000 && link.send(frame); sent++);
    expect(sent).toBeLessThan(10_000);
    expect(link.bufferedBytes).toBeGreaterThanOrEqual(highWaterMarkBytes);
    // What a well-behaved sender holds is bounded by the mark plus one frame.
    expect(link.bufferedBytes).toBeLessThan(highWaterMarkBytes + 2 * (64 * 1024 + 12));
    expect(drains).toBe(0);

    raw.socket.resume();
    await waitFor(() => drains === 1, { message: 'drain after the client reads again' });
    expect(link.bufferedBytes).toBeLessThan(highWaterMarkBytes);
    await waitFor(() => raw.messages.length === 1 + sent + 1, { message: 'every frame delivered' });
  });

  it('a peer that stops reading after its Hello is dropped by the engine at its high-water mark, and the writer goes on', async () => {
    const listener = websocketListener({ token: 'backpressure-token', highWaterMarkBytes: 256 * 1024 });
    const host = new RecordingHost();
    const node = new ProtocolTransport({ nodeId: 'a', clusterId: 'test', listeners: [listener], highWaterMarkBytes: 2 * 1024 * 1024, onError: () => undefined });
    cleanups.push(() => node.close());
    await node.start(host);
    const raw = await RawWebSocket.open(Number(new URL(listener.address).port));
    cleanups.push(() => raw.destroy());
    raw.send(encodeAuthMessage('backpressure-token'));
    raw.send(encodeIpcFrame({ kind: 'hello', node: 'reader', cluster: 'test', minVersion: 1, maxVersion: 1, vector: {}, interests: [], capabilities: [] }));
    await waitFor(() => host.upPeers().includes('reader'), { message: 'the raw peer up' });
    raw.socket.pause();

    const payload = new Uint8Array(1000);
    let seq = 0;
    const batch = (): Mutation[] => Array.from({ length: 100 }, () => ({ origin: 'a', seq: ++seq, hlc: BigInt(seq) << 16n, path: `scene.item${seq % 100}`, op: 'set' as const, type: 'bytes', payload }));
    let mostBacklog = 0;
    for (let i = 0; i < 400 && node.stats().slowPeerDisconnects === 0; i++) {
      node.publish(batch());
      mostBacklog = Math.max(mostBacklog, node.backlogBytes());
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => node.stats().slowPeerDisconnects === 1, { message: 'the reader dropped as too slow' });
    await waitFor(() => !host.upPeers().includes('reader'), { message: 'the reader down' });
    // What the node held for it stayed near the engine's mark (40 MB were offered).
    expect(mostBacklog).toBeLessThan(4 * 1024 * 1024);
    expect(node.backlogBytes()).toBe(0);
  });
});
