// A hostile client against a node: garbage, a 64 MiB message, 200 idle sockets. The node stays up, holds bounded
// memory, counts what it refused, and a real node still gets in and replicates afterwards.
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStatemeshError, type StatemeshError } from '@statemesh/contracts';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { CLOSE_CODE, encodeAuthMessage, websocketListener, type WebsocketListener } from '@statemesh/transport-websocket';
import { encodeIpcFrame } from '@statemesh/wire';
import { Nodes, mutation } from './fixtures/nodes.ts';
import { RawWebSocket } from './fixtures/raw-websocket.ts';

const TOKEN = 'hostile-test-token';
const MIB = 1024 * 1024;

let listener: WebsocketListener;
let node: ProtocolTransport;
let host: RecordingHost;
let errors: StatemeshError[];
let port: number;
let nodes: Nodes;
const raws: RawWebSocket[] = [];

beforeEach(async () => {
  listener = websocketListener({ token: TOKEN, authTimeoutMs: 2_000 });
  errors = [];
  host = new RecordingHost();
  node = new ProtocolTransport({ nodeId: 'a', clusterId: 'test', listeners: [listener], onError: (error) => errors.push(error) });
  await node.start(host);
  port = Number(new URL(listener.address).port);
  nodes = new Nodes();
});

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await nodes.closeAll();
  await node.close();
});

async function open(): Promise<RawWebSocket> {
  const raw = await RawWebSocket.open(port);
  raws.push(raw);
  return raw;
}

async function authenticated(): Promise<RawWebSocket> {
  const raw = await open();
  raw.send(encodeAuthMessage(TOKEN));
  await waitFor(() => raw.messages.length > 0, { message: 'the ready message' });
  return raw;
}

/** The node still takes a real peer and its writes. */
async function stillServes(id: string): Promise<void> {
  const b = await nodes.start(id, { seeds: [listener.address], dial: { token: TOKEN } });
  await waitFor(() => host.upPeers().includes(id), { message: `${id} up` });
  b.transport.publish([mutation(id, 1)]);
  await waitFor(() => host.mutations(id).length === 1, { message: `${id}'s write` });
}

/** Runs `work` while sampling the bytes held in ArrayBuffers; returns the largest rise seen. */
async function peakArrayBufferGrowth(work: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 2);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().arrayBuffers) - before;
}

describe('a hostile client', () => {
  it('garbage: bytes that are not WebSocket framing, and messages that are not statemesh frames, each close only that connection', async () => {
    const notFraming = await open();
    notFraming.write(Buffer.from('\x00\xff garbage that is no WebSocket frame at all '.repeat(50), 'latin1'));
    await notFraming.whenEnded();

    const hello = encodeIpcFrame({ kind: 'hello', node: 'x', cluster: 'test', minVersion: 1, maxVersion: 1, vector: {}, interests: [], capabilities: [] });
    const bad: Array<string | Uint8Array> = [
      new Uint8Array(4096).map((_, i) => (i * 131) & 0xff), // bad magic
      'a text message after the auth message',
      hello.subarray(0, hello.length - 3), // a truncated frame
      Buffer.concat([hello, hello]), // two frames in one message
    ];
    for (const message of bad) {
      const raw = await authenticated();
      raw.send(message);
      await raw.whenEnded();
      expect(raw.close?.code).toBe(CLOSE_CODE.badFrame);
    }
    await waitFor(() => node.stats().badFrames >= bad.length, { message: 'the bad frames counted' });
    expect(errors.filter((e) => isStatemeshError(e, 'MALFORMED_FRAME') || isStatemeshError(e, 'BAD_MAGIC')).length).toBeGreaterThanOrEqual(bad.length);
    await stillServes('b');
  });

  it('a 64 MiB message, before and after the auth message, is refused from its header (1009) without being buffered', async () => {
    const before = await open();
    const growthBefore = await peakArrayBufferGrowth(async () => {
      await before.sendLarge(64 * MIB);
      await before.whenEnded();
    });
    expect(before.close?.code).toBe(CLOSE_CODE.messageTooBig);

    const after = await authenticated();
    const growthAfter = await peakArrayBufferGrowth(async () => {
      await after.sendLarge(64 * MIB);
      await after.whenEnded();
    });
    expect(after.close?.code).toBe(CLOSE_CODE.messageTooBig);
    await waitFor(() => errors.some((e) => isStatemeshError(e, 'FRAME_TOO_LARGE')), { message: 'FRAME_TOO_LARGE reported' });
    console.log(`64 MiB message: ArrayBuffer growth ${(growthBefore / MIB).toFixed(1)} MiB before auth, ${(growthAfter / MIB).toFixed(1)} MiB after`);
    expect(growthBefore).toBeLessThan(16 * MIB);
    expect(growthAfter).toBeLessThan(16 * MIB);
    await stillServes('b');
  });

  it('200 idle sockets: at most maxPendingAuth wait (the rest get 4429), all are gone after authTimeoutMs, and a real node gets in', async () => {
    let mostPending = 0;
    const sampler = setInterval(() => (mostPending = Math.max(mostPending, listener.stats().pendingAuth)), 1);
    const idle = await Promise.all(Array.from({ length: 200 }, () => open()));
    await Promise.all(idle.map((raw) => raw.whenEnded(15_000)));
    clearInterval(sampler);
    const { refusedBusy, authTimeouts, pendingAuth, accepted } = listener.stats();
    expect(mostPending).toBeLessThanOrEqual(64);
    expect(refusedBusy).toBeGreaterThanOrEqual(136);
    expect(refusedBusy + authTimeouts).toBe(200);
    expect(idle.filter((raw) => raw.close?.code === CLOSE_CODE.busy)).toHaveLength(refusedBusy);
    expect(idle.filter((raw) => raw.close?.code === CLOSE_CODE.authTimeout)).toHaveLength(authTimeouts);
    expect({ pendingAuth, accepted }).toEqual({ pendingAuth: 0, accepted: 0 });
    expect(node.openLinks()).toBe(0);
    await stillServes('b');
  });

  it('sockets that connect and never send an upgrade request are dropped after authTimeoutMs, and at close', async () => {
    const silent = await Promise.all(Array.from({ length: 20 }, () => connectSilently(port)));
    await Promise.all(silent.map((socket) => whenClosed(socket, 15_000)));
    expect(silent.every((socket) => socket.closed)).toBe(true);
    // With a long timeout, only close() ends them.
    const patient = websocketListener({ token: TOKEN, authTimeoutMs: 60_000 });
    await patient.start(() => undefined);
    const late = await connectSilently(Number(new URL(patient.address).port));
    await patient.close();
    await whenClosed(late, 5_000);
    expect(late.closed).toBe(true);
  });
});

function connectSilently(to: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: to });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function whenClosed(socket: Socket, timeoutMs: number): Promise<void> {
  socket.resume();
  if (socket.closed) return;
  await waitFor(() => socket.closed, { timeoutMs, message: 'the silent socket closed by the node' });
}
