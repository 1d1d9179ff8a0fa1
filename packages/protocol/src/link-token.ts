const utf8 = new TextEncoder();

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
