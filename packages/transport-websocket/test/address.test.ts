import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { websocketDialer } from '@statemesh/transport-websocket';

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
