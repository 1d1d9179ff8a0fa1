// The pieces link authors take from the engine: the inbox that holds events until open(), the listen rule, and
// what several links check alike (host:port, tokens, certificate names, option values, a send backlog).
import { describe, expect, it } from 'vitest';
import { isStatemeshError, type LinkEvents, type LinkFrame } from '@statemesh/contracts';
import { LinkInbox, SendBacklog, assertListenSafe, certificateNames, formatHostPort, isLoopbackHost, positiveOption, splitHostPort, tokensMatch } from '@statemesh/protocol';

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

describe('what several links check alike', () => {
  it('reads host:port the same way for every link, IPv6 in brackets', () => {
    expect(splitHostPort('127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(splitHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(splitHostPort('node-a.example:65535')).toEqual({ host: 'node-a.example', port: 65535 });
    for (const text of ['127.0.0.1', '127.0.0.1:65536', ':7000', 'a b:1', '[::1]', 'tcp://127.0.0.1:1']) expect(splitHostPort(text)).toBeUndefined();
    expect(formatHostPort({ host: '::1', port: 9 })).toBe('[::1]:9');
    expect(formatHostPort({ host: 'localhost', port: 9 })).toBe('localhost:9');
  });

  it('matches a token only when every byte and the length are the same, strings or bytes', () => {
    expect(tokensMatch('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokensMatch(new TextEncoder().encode('s3cret-token'), 's3cret-token')).toBe(true);
    for (const given of ['s3cret-tokeN', 's3cret-toke', 's3cret-token!', '', 'x'.repeat(12)]) expect(tokensMatch(given, 's3cret-token')).toBe(false);
    expect(tokensMatch('é', 'e')).toBe(false);
  });

  it('names a certificate by its common name and DNS alternative names, nothing without one', () => {
    expect(certificateNames({ subject: { CN: 'node-a' }, subjectaltname: 'DNS:node-a, IP Address:127.0.0.1, DNS:a.example' })).toEqual(['node-a', 'a.example']);
    expect(certificateNames({ subject: { CN: ['x', 'y'] } })).toEqual(['x', 'y']);
    expect(certificateNames({})).toBeUndefined();
    expect(certificateNames(undefined)).toBeUndefined();
  });

  it('takes a positive option or its default, and refuses anything else with INVALID_CONFIG', () => {
    expect(positiveOption('@statemesh/x', 'delayMs', undefined, 5)).toBe(5);
    expect(positiveOption('@statemesh/x', 'delayMs', 0.5, 5)).toBe(0.5);
    for (const bad of [0, -1, Number.NaN, Infinity, '3' as unknown as number]) {
      expect(() => positiveOption('@statemesh/x', 'highWaterMarkBytes', bad, 1)).toThrow(/^@statemesh\/x: highWaterMarkBytes must be a positive number of bytes/);
    }
  });

  it('a send backlog says drain once, when bytes taken bring it back within its mark after it said no', () => {
    let drains = 0;
    const backlog = new SendBacklog(100, () => drains++);
    backlog.add(60);
    expect(backlog.withinMark()).toBe(true);
    backlog.add(60);
    expect(backlog.withinMark()).toBe(false);
    backlog.taken(10);
    expect(drains).toBe(0); // 110: still past the mark
    backlog.taken(60);
    expect([drains, backlog.bytes]).toEqual([1, 50]);
    backlog.taken(50);
    expect(drains).toBe(1); // nobody was refused since
  });
});
