import type { PeerState, Transport } from '@statemesh/contracts';
import type { Shard } from '@statemesh/shard';
import type { HydrationProgress, LargeValueHydrations } from './large-value-hydrations.js';
import type { CatchUpProgress, PeerCatchUps } from './peer-catch-ups.js';
import type { ReplicationPump } from './replication-pump.js';

/** One peer as `status()` reports it. */
export interface PeerStatus {
  readonly node: string;
  readonly state: PeerState;
  /** Milliseconds since anything was last heard from the peer. */
  readonly lastSeenMs: number;
  /** How many of this node's writes the peer has not acknowledged applying (from its Ack frames). */
  readonly lagSeq: number;
  /** The peer's wall clock minus ours, from its heartbeats; undefined before the first. */
  readonly clockSkewMs?: number | undefined;
  /** Whom the peer announced it is linked to (its up peers, this node among them); undefined: it announces none. */
  readonly links?: readonly string[] | undefined;
  /** How many up peers it announced, when more than `links` lists. */
  readonly linkCount?: number | undefined;
}

/** A session's state at a glance. */
export interface SessionStatus {
  readonly running: boolean;
  readonly nodeId: string;
  readonly clusterId: string;
  readonly peerCount: number;
  readonly peers: readonly PeerStatus[];
  /** Sequence number of this node's latest write. */
  readonly localSequence: number;
  readonly pumpCycles: number;
  readonly pendingHydrations: number;
  /** Conflicts detected on this replica. */
  readonly conflicts: number;
}

/** Long operations under way: catch-ups from peers and large values being fetched. */
export interface SessionProgress {
  readonly catchUps: readonly CatchUpProgress[];
  readonly hydrations: readonly HydrationProgress[];
}

/** The parts of a session that `status()` and `metrics()` read. */
export interface SessionReadings {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly running: boolean;
  readonly shard: Shard;
  readonly transport: Transport;
  readonly pump: ReplicationPump;
  readonly catchUps: PeerCatchUps;
  readonly hydrations: LargeValueHydrations;
}

/** A session's running state, peers and counters. */
export function statusOf(r: SessionReadings): SessionStatus {
  const localSequence = r.shard.localSeq;
  return {
    running: r.running,
    nodeId: r.nodeId,
    clusterId: r.clusterId,
    peerCount: r.catchUps.peers.size,
    peers: r.transport.peers().map((peer) => ({
      node: peer.node,
      state: peer.state,
      lastSeenMs: peer.lastSeenMs,
      lagSeq: Math.max(0, localSequence - (peer.acknowledged?.[r.shard.origin] ?? 0)),
      clockSkewMs: peer.clockSkewMs,
      links: peer.links,
      linkCount: peer.linkCount,
    })),
    localSequence,
    pumpCycles: r.pump.cycles,
    pendingHydrations: r.hydrations.pendingCount,
    conflicts: r.shard.counters()['conflicts.detected'] ?? 0,
  };
}
