import type { PeerInfo } from '@statemesh/contracts';
import type { Liveness } from './liveness.js';

/** What {@link describePeers} reads of a peer's connection: its heartbeat state, negotiated version and address. */
export interface DescribedConnection {
  /** Set once the Hello exchange succeeded (every connection of an up peer has one). */
  readonly liveness: Liveness | undefined;
  /** The protocol version negotiated with the peer. */
  readonly version: number;
  /** The peer's address as the transport sees it. */
  readonly address: string;
}

/** `Transport.peers()` of a transport that keeps its own connections (transport-grpc until it is a link factory): one {@link PeerInfo} per connected peer, with the time since it was last heard from. */
export function describePeers(peers: ReadonlyMap<string, DescribedConnection>, now: number): PeerInfo[] {
  const out: PeerInfo[] = [];
  for (const [node, connection] of peers) {
    const liveness = connection.liveness!;
    out.push({
      node,
      state: liveness.state,
      lastSeenMs: Math.max(0, now - liveness.lastSeen),
      protocolVersion: connection.version,
      address: connection.address,
    });
  }
  return out;
}
