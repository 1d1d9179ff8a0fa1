// Refusals decided by the protocol engine, as a WebSocket peer sees them: the close code of PROTOCOL.md's table
// and a reason starting with the statemesh code, after the Goodbye; token refusals counted by the engine.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { encodeAuthMessage, websocketListener, type WebsocketListener } from '@statemesh/transport-websocket';
import { encodeIpcFrame, type Frame } from '@statemesh/wire';
import { RawWebSocket } from './fixtures/raw-websocket.ts';

const TOKEN = 'refusals-test-token';
let listener: WebsocketListener;
let node: ProtocolTransport;
let port: number;
const raws: RawWebSocket[] = [];

beforeEach(async () => {
  listener = websocketListener({ token: TOKEN });
  node = new ProtocolTransport({ nodeId: 'a', clusterId: 'alpha', listeners: [listener], onError: () => undefined });
  await node.start(new RecordingHost());
  port = Number(new URL(listener.address).port);
});

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await node.close();
});

async function authenticated(token = TOKEN): Promise<RawWebSocket> {
  const raw = await RawWebSocket.open(port);
  raws.push(raw);
  raw.send(encodeAuthMessage(token));
  return raw;
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

describe('refusals carry a close code', () => {
  it('a peer of another cluster is closed with 4412 and a reason starting CLUSTER_MISMATCH', async () => {
    const raw = await authenticated();
    await waitFor(() => raw.messages.length > 0, { message: 'the ready message' });
    raw.send(encodeIpcFrame(hello('beta')));
    await waitFor(() => raw.close !== undefined, { message: 'the close frame' });
    expect(raw.close!.code).toBe(4412);
    expect(raw.close!.reason).toMatch(/^CLUSTER_MISMATCH: /);
  });

  it('no version in common is 4412 with VERSION_MISMATCH; a frame before Hello is 4422 with MALFORMED_FRAME', async () => {
    const versions = await authenticated();
    const early = await authenticated();
    await waitFor(() => versions.messages.length > 0 && early.messages.length > 0, { message: 'the ready messages' });
    versions.send(encodeIpcFrame(hello('alpha', { min: 90, max: 99 })));
    early.send(encodeIpcFrame({ kind: 'heartbeat', node: 'probe', sentAtMs: 1 }));
    await waitFor(() => versions.close !== undefined && early.close !== undefined, { message: 'both closed' });
    expect(versions.close).toMatchObject({ code: 4412, reason: expect.stringMatching(/^VERSION_MISMATCH: /) as unknown });
    expect(early.close).toMatchObject({ code: 4422, reason: expect.stringMatching(/^MALFORMED_FRAME: /) as unknown });
  });

  it('a reason keeps its advice whole: no package names, and a text message after the auth message says frames are binary', async () => {
    const raw = await authenticated();
    await waitFor(() => raw.messages.length > 0, { message: 'the ready message' });
    raw.send('not a frame');
    await waitFor(() => raw.close !== undefined, { message: 'the close frame' });
    expect(raw.close!.code).toBe(4422);
    expect(raw.close!.reason).not.toContain('@statemesh/');
    expect(raw.close!.reason).toContain('frames are binary messages');
  });

  it("counts the listener's token refusals in the engine's stats().authFailures", async () => {
    const raw = await authenticated('wrong');
    await waitFor(() => raw.close !== undefined, { message: 'refused' });
    expect(raw.close!.code).toBe(4401);
    expect(listener.authFailures).toBe(1);
    expect(node.stats().authFailures).toBe(1);
  });
});
