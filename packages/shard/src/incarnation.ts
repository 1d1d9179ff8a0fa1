import { StatemeshError } from '@statemesh/contracts';

const INCARNATION = /^[0-9a-z]{1,16}$/;
const TIME_DIGITS = 9; // base 36: wall milliseconds up to the year 5138
const RANDOM_DIGITS = 4;

/**
 * A new incarnation id for a node that cannot prove it never wrote before (no disk, or a disk without its mark):
 * nine base-36 digits of the wall clock in milliseconds, then four random ones (13 characters). Two starts of a
 * node get different ids even within one millisecond or after the clock was set back; ids of one node sort by
 * the time they were taken while clocks are sane.
 */
export function newIncarnation(wallMs: number = Date.now()): string {
  const time = Math.max(0, Math.floor(wallMs)).toString(36).padStart(TIME_DIGITS, '0').slice(-TIME_DIGITS);
  const random = new Uint8Array(RANDOM_DIGITS);
  globalThis.crypto.getRandomValues(random);
  let suffix = '';
  for (const byte of random) suffix += (byte % 36).toString(36);
  return time + suffix;
}

/** True when `incarnation` is 1-16 characters of `[0-9a-z]`. */
export function isValidIncarnation(incarnation: unknown): incarnation is string {
  return typeof incarnation === 'string' && INCARNATION.test(incarnation);
}

/** The origin of the writes of `nodeId` in `incarnation`: `<nodeId>~<incarnation>`, or `nodeId` without one. */
export function originOf(nodeId: string, incarnation: string | undefined): string {
  if (incarnation === undefined) return nodeId;
  if (!isValidIncarnation(incarnation)) {
    throw new StatemeshError('INVALID_CONFIG', `@statemesh/shard: incarnation ${JSON.stringify(incarnation)} is not valid: use 1-16 characters of [0-9a-z] (newIncarnation() makes one)`);
  }
  return `${nodeId}~${incarnation}`;
}
