import type { HelloInfo } from '@statemesh/contracts';

/** One connection of a memory transport to a peer, as that transport sees it (internal). */
export interface PeerConnection {
  readonly peer: string;
  readonly connId: number;
  /** True when this side dialed (the peer is one of its seeds). */
  readonly dialed: boolean;
  /** `connecting` until the peer's Hello arrives. */
  state: 'connecting' | 'up' | 'suspect';
  /** The peer's Hello, once received. */
  hello: HelloInfo | undefined;
  /** Scheduler time the connection opened. */
  readonly openedAt: number;
  /** Scheduler time anything was last received on it. */
  lastSeen: number;
}
