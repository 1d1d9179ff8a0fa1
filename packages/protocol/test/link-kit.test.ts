// The pieces link authors take from the engine: the inbox that holds events until open(), and the listen rule.
import { describe, expect, it } from 'vitest';
import { isStatemeshError, type LinkEvents, type LinkFrame } from '@statemesh/contracts';
import { LinkInbox, assertListenSafe, isLoopbackHost } from '@statemesh/protocol';

const frame = (kind: number): LinkFrame => ({ kind, version: 1, body: new Uint8Array([kind]) });

function recorder(onFrame?: (f: LinkFrame) => void) {
  const seen: string[] = [];
  const events: LinkEvents = {
    frame: (f) => {
      seen.push(`frame ${f.kind}`);
      onFrame?.(f);
    },
    drain: () => void seen.push('drain'),
    closed: (reason) => void seen.push(`closed: ${reason}`),
  };
  return { seen, events };
}

describe('LinkInbox', () => {
  it('holds frames and the close until open, then passes events straight through, the close once', () => {
    const inbox = new LinkInbox();
    inbox.frame(frame(1));
    inbox.drain(); // nobody to tell yet
    inbox.frame(frame(2));
    const { seen, events } = recorder();
    inbox.open(events);
    inbox.frame(frame(3));
    inbox.drain();
    inbox.closed('gone');
    inbox.closed('again');
    inbox.frame(frame(4));
    inbox.drain();
    expect(seen).toEqual(['frame 1', 'frame 2', 'frame 3', 'drain', 'closed: gone']);
    expect(inbox.isClosed).toBe(true);
  });

  it('stops delivering held frames once the owner discards them (destroyed on an earlier frame)', () => {
    const inbox = new LinkInbox();
    for (const kind of [1, 2, 3]) inbox.frame(frame(kind));
    const { seen, events } = recorder((f) => {
      if (f.kind === 1) inbox.discard();
    });
    inbox.open(events);
    inbox.frame(frame(4));
    inbox.closed('destroyed');
    expect(seen).toEqual(['frame 1', 'closed: destroyed']);
  });

  it('delivers a close that came before open after the frames that preceded it', () => {
    const inbox = new LinkInbox();
    inbox.frame(frame(2));
    inbox.closed('the peer wrote a batch and exited');
    const { seen, events } = recorder();
    inbox.open(events);
    inbox.open(recorder().events); // a second open is ignored
    expect(seen).toEqual(['frame 2', 'closed: the peer wrote a batch and exited']);
  });
});

describe('assertListenSafe', () => {
  const base = { source: '@statemesh/x', address: 'x', tls: false, authenticated: false, insecure: false };

  it.each(['127.0.0.1', '127.9.8.7', 'localhost', '::1', '::ffff:127.0.0.1'])('lets %s listen without TLS', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(() => assertListenSafe({ ...base, host })).not.toThrow();
  });

  it('refuses a reachable host (or an unknown one) without TLS and authentication, unless insecure', () => {
    for (const host of ['0.0.0.0', '10.0.0.1', '::', undefined]) {
      for (const security of [{}, { tls: true }, { authenticated: true }]) {
        let thrown: unknown;
        try {
          assertListenSafe({ ...base, ...security, host });
        } catch (error) {
          thrown = error;
        }
        expect(isStatemeshError(thrown, 'TLS_REQUIRED')).toBe(true);
        expect((thrown as Error).message).toMatch(/^@statemesh\/x: .*insecure: true$/);
      }
      expect(() => assertListenSafe({ ...base, host, tls: true, authenticated: true })).not.toThrow();
      expect(() => assertListenSafe({ ...base, host, insecure: true })).not.toThrow();
    }
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });
});
