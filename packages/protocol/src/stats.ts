import type { TransportStats } from '@statemesh/contracts';

/** The counters of {@link TransportStats}, writable: one object per engine, shared by its conversations. */
export type Stats = { -readonly [K in keyof TransportStats]: TransportStats[K] };

/** A fresh set of counters, all zero. */
export function emptyStats(): Stats {
  return {
    published: 0,
    delivered: 0,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    badFrames: 0,
    unknownFrames: 0,
    authFailures: 0,
    slowPeerDisconnects: 0,
  };
}
