import type { ErrorCode } from '@statemesh/contracts';

/**
 * The WebSocket close codes this binding sends (PROTOCOL.md, "Close codes"). 1000-1015 are the standard ones;
 * 4400-4429 are ours, numbered after the HTTP status they resemble, so a person reading a log can guess them.
 */
export const CLOSE_CODE = {
  /** Normal close: the link was ended or destroyed by its owner. */
  normal: 1000,
  /** The listener is closing. */
  goingAway: 1001,
  /** A message over the receiver's limit (sent by `ws` itself, from the frame header, before the body is read). */
  messageTooBig: 1009,
  /** The first message was not an auth message. */
  badFirstMessage: 4400,
  /** The token in the auth message is missing or wrong. */
  unauthorized: 4401,
  /** No auth message within the listener's `authTimeoutMs`. */
  authTimeout: 4408,
  /** A frame announces a body over `maxFrameBytes` (a receiver that cannot refuse it earlier). */
  frameTooLarge: 4413,
  /** A message after the auth message that is not exactly one statemesh frame (text, bad magic, truncated). */
  badFrame: 4422,
  /** The engine refused the other side's Hello: another cluster, no common version, a bad or duplicate node id. */
  helloRefused: 4412,
  /** Too many connections waiting to authenticate, or the peer fell behind and was dropped: try again later. */
  busy: 4429,
  /** This side failed (standard code): its host could not build a Hello. */
  internal: 1011,
} as const;

/** The close code a refusal of `code` (an engine decision passed to `end`/`destroy`) is sent with. */
export function closeCodeOf(code: ErrorCode): number {
  switch (code) {
    case 'UNAUTHENTICATED':
    case 'TLS_REQUIRED':
      return CLOSE_CODE.unauthorized;
    case 'CLUSTER_MISMATCH':
    case 'VERSION_MISMATCH':
    case 'INVALID_ID':
    case 'INVALID_CONFIG':
      return CLOSE_CODE.helloRefused;
    case 'MALFORMED_FRAME':
      return CLOSE_CODE.badFrame;
    case 'FRAME_TOO_LARGE':
      return CLOSE_CODE.frameTooLarge;
    case 'TIMEOUT':
      return CLOSE_CODE.authTimeout;
    case 'BACKPRESSURE':
      return CLOSE_CODE.busy;
    case 'CLOSED':
    case 'PEER_UNAVAILABLE':
      return CLOSE_CODE.normal;
    default:
      return CLOSE_CODE.internal;
  }
}

/** Bytes a close reason may have (RFC 6455: 125 bytes of payload, 2 of them the code). */
const MAX_REASON_BYTES = 123;

/** `reason` without package names, cut to what a close frame can carry, at a character boundary. */
export function closeReason(reason: string): string {
  // The package names of our messages say nothing a close frame's sender does not: they would crowd out the advice.
  let out = reason.replace(/@statemesh\/[a-z-]+: /g, '');
  while (new TextEncoder().encode(out).byteLength > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
