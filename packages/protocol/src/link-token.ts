import { StatemeshError } from '@statemesh/contracts';

const utf8 = new TextEncoder();

/** Longest link token accepted, in UTF-8 bytes. */
export const MAX_LINK_TOKEN_BYTES = 1024;
/** Shortest token a listener may expect, in UTF-8 bytes: a shorter one is guessed. */
export const MIN_EXPECTED_TOKEN_BYTES = 8;

/** What {@link checkLinkToken} asks of a token besides its length. */
export interface LinkTokenRule {
  /** It is the token a listener expects (at least {@link MIN_EXPECTED_TOKEN_BYTES}); else one a dialer presents. */
  readonly expected: boolean;
  /** It travels in an HTTP header (gRPC metadata): printable ASCII without spaces. */
  readonly headerSafe?: boolean | undefined;
}

/**
 * A link's token option, checked alike by every listener and dialer: undefined, or a string of at most
 * {@link MAX_LINK_TOKEN_BYTES} UTF-8 bytes, at least {@link MIN_EXPECTED_TOKEN_BYTES} for the one a listener
 * expects. Throws `INVALID_CONFIG` (prefixed by `source`, the package) naming the option `name`.
 */
export function checkLinkToken(source: string, name: string, token: unknown, rule: LinkTokenRule): string | undefined {
  if (token === undefined) return undefined;
  const min = rule.expected ? MIN_EXPECTED_TOKEN_BYTES : 1;
  const bytes = typeof token === 'string' ? utf8.encode(token).byteLength : -1;
  if (bytes < min || bytes > MAX_LINK_TOKEN_BYTES || (rule.headerSafe === true && !/^[\x21-\x7e]+$/.test(token as string))) {
    const ascii = rule.headerSafe === true ? ' of printable ASCII without spaces' : '';
    throw new StatemeshError('INVALID_CONFIG', `${source}: ${name} must be a string of ${min} to ${MAX_LINK_TOKEN_BYTES} bytes${ascii}; choose a long random one`, {
      details: { field: name },
    });
  }
  return token as string;
}

/**
 * Whether the token a connection presented is the one expected, in a time that does not depend on where they
 * differ (only on the expected token's length), so a client cannot guess a token byte by byte. Every listener
 * that takes a token (an IPC TCP socket, a gRPC bearer token, a WebSocket's first message) compares with this.
 */
export function tokensMatch(given: string | Uint8Array, expected: string | Uint8Array): boolean {
  const a = typeof given === 'string' ? utf8.encode(given) : given;
  const b = typeof expected === 'string' ? utf8.encode(expected) : expected;
  let difference = a.byteLength ^ b.byteLength;
  for (let i = 0; i < b.byteLength; i++) difference |= (a[i] ?? 0) ^ b[i]!;
  return difference === 0;
}
