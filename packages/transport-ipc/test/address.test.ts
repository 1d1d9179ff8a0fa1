import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { formatAddress, parseAddress } from '@statemesh/transport-ipc';

describe('parseAddress', () => {
  it('reads a bare path and a unix: path as a Unix socket', () => {
    expect(parseAddress('/tmp/a.sock')).toEqual({ kind: 'unix', path: '/tmp/a.sock' });
    expect(parseAddress('unix:/tmp/a.sock')).toEqual({ kind: 'unix', path: '/tmp/a.sock' });
    expect(parseAddress('rel/a.sock')).toEqual({ kind: 'unix', path: 'rel/a.sock' });
  });

  it('reads loopback TCP addresses, IPv6 in brackets', () => {
    expect(parseAddress('tcp://127.0.0.1:7400')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 7400 });
    expect(parseAddress('tcp://localhost:1')).toEqual({ kind: 'tcp', host: 'localhost', port: 1 });
    expect(parseAddress('tcp://[::1]:9')).toEqual({ kind: 'tcp', host: '::1', port: 9 });
  });

  it('allows port 0 only where asked (to listen)', () => {
    expect(parseAddress('tcp://127.0.0.1:0', { allowPortZero: true })).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(() => parseAddress('tcp://127.0.0.1:0')).toThrow(/0 is for listening only/);
  });

  it.each([
    ['', /empty/],
    ['tcp://10.0.0.5:7400', /loopback/],
    ['tcp://example.com:80', /loopback/],
    ['tcp://127.0.0.1', /tcp:\/\/127.0.0.1:<port>/],
    ['tcp://127.0.0.1:70000', /port/],
    ['http://127.0.0.1:80', /schemes/],
    ['unix:', /empty/],
    [`/tmp/${'x'.repeat(120)}.sock`, /at most 103 bytes/],
  ])('refuses %j with INVALID_CONFIG', (text, message) => {
    let caught: unknown;
    try {
      parseAddress(text);
    } catch (error) {
      caught = error;
    }
    expect(isStatemeshError(caught, 'INVALID_CONFIG')).toBe(true);
    expect((caught as Error).message).toMatch(/^@statemesh\/transport-ipc: /);
    expect((caught as Error).message).toMatch(message);
  });

  it('formats what it parses back to canonical text', () => {
    for (const text of ['unix:/tmp/a.sock', 'tcp://127.0.0.1:7400', 'tcp://[::1]:9']) expect(formatAddress(parseAddress(text))).toBe(text);
    expect(formatAddress(parseAddress('/tmp/b.sock'))).toBe('unix:/tmp/b.sock');
  });
});
