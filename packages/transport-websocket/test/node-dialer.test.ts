// The Node dialer is on `ws` even where the runtime has a global WebSocket (Node 22+; put in place here on Node 20,
// which has none): a message over the dialer's limit is refused from its WebSocket frame header (close 1009),
// where a standard WebSocket would have read it whole and refused it from the statemesh header (4413).
import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError, type Link, type StatemeshError } from '@statemesh/contracts';
import { waitFor } from '@statemesh/contracts/testing';
import { MAX_HELLO_BYTES } from '@statemesh/protocol';
import { websocketDialer, websocketListener } from '@statemesh/transport-websocket';
import { WebSocket as WsWebSocket } from 'ws';

const TOKEN = 'node-dialer-token';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the Node websocketDialer', () => {
  it('dials on ws where a global WebSocket exists: a message over its limit is refused from the frame header (1009)', async () => {
    const runtime = globalThis as { WebSocket?: unknown };
    const global = runtime.WebSocket;
    runtime.WebSocket = WsWebSocket; // a standard WebSocket, as Node 22+ has
    cleanups.push(() => {
      if (global === undefined) delete runtime.WebSocket;
      else runtime.WebSocket = global;
    });
    const listener = websocketListener({ token: TOKEN });
    const links: Link[] = [];
    const closedAtListener: string[] = [];
    await listener.start((link) => {
      links.push(link);
      link.open({ frame: () => undefined, drain: () => undefined, closed: (reason) => closedAtListener.push(reason) });
    });
    cleanups.push(async () => {
      await listener.close();
      for (const link of links) link.destroy('test done');
    });
    const client = await websocketDialer(listener.address, { token: TOKEN }).dial();
    cleanups.push(() => client.destroy('test done'));
    let refused: StatemeshError | undefined;
    client.open({ frame: () => undefined, drain: () => undefined, closed: (_reason, error) => (refused = error) });
    await waitFor(() => links.length === 1, { message: 'the link at the listener' });

    // Until the Hello, the dialer takes at most MAX_HELLO_BYTES of body.
    links[0]!.send({ kind: 2, version: 1, body: new Uint8Array(MAX_HELLO_BYTES + 1) });
    await waitFor(() => closedAtListener.length === 1, { message: 'the listener link closed by the dialer' });
    expect(closedAtListener[0]).toContain('code 1009');
    expect(isStatemeshError(refused, 'FRAME_TOO_LARGE')).toBe(true);
  });
});
