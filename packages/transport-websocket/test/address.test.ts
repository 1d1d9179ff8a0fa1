import { describe, expect, it } from 'vitest';
import { isStatemeshError, type Link } from '@statemesh/contracts';
import { waitFor } from '@statemesh/contracts/testing';
import { websocketDialer, websocketListener } from '@statemesh/transport-websocket';

describe('websocketDialer URLs', () => {
  it('takes ws:// and wss:// URLs', () => {
    expect(websocketDialer('ws://127.0.0.1:8080/statemesh').address).toBe('ws://127.0.0.1:8080/statemesh');
    expect(websocketDialer('wss://example.org/statemesh').address).toBe('wss://example.org/statemesh');
  });

  it.each(['http://127.0.0.1:1/x', 'not a url', 'ws://user:secret@127.0.0.1:1/x', 'ws://127.0.0.1:1/x?token=abc'])('refuses %s with INVALID_CONFIG', (url) => {
    let thrown: unknown;
    try {
      websocketDialer(url);
    } catch (error) {
      thrown = error;
    }
    expect(isStatemeshError(thrown, 'INVALID_CONFIG')).toBe(true);
  });
});

describe('a link accepted over IPv6', () => {
  it('names the remote address with the host in brackets', async () => {
    const listener = websocketListener({ host: '::1', token: 'ipv6-address-token' });
    const accepted: Link[] = [];
    await listener.start((link) => accepted.push(link));
    try {
      expect(listener.address).toMatch(/^ws:\/\/\[::1\]:\d+\/statemesh$/);
      const client = await websocketDialer(listener.address, { token: 'ipv6-address-token' }).dial();
      client.destroy('test done');
      await waitFor(() => accepted.length === 1, { message: 'the link at the listener' });
      expect(accepted[0]!.remoteAddress).toMatch(/^ws:\/\/\[::1\]:\d+$/);
    } finally {
      await listener.close();
      for (const link of accepted) link.destroy('test done');
    }
  });
});
