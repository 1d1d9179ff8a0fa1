import type { HelloInfo, PeerEvent, PeerInfo, VersionVector } from '@statemesh/contracts';
import { Liveness } from '@statemesh/protocol';
import type { HelloFrame } from '@statemesh/wire';

/** Peers one node keeps track of at most: Hellos of further nodes are ignored (memory held for peers is bounded). */
export const MAX_PEERS = 4096;

/** What this node knows of one peer on the NATS medium. */
interface NatsPeer {
  readonly node: string;
  readonly instance: string;
  readonly hello: HelloInfo;
  readonly version: number;
  readonly liveness: Liveness;
  acknowledged: VersionVector;
  clockSkewMs: number | undefined;
}

/** How a Hello changed what is known of its sender. */
export type HelloOutcome = 'new' | 'known' | 'restarted';

/**
 * The peers of the medium, learnt from their Hellos and kept alive by anything they publish (heartbeats, batches,
 * acknowledgements): `up` once per peer, `suspect` after 3 silent intervals, `down` after 5 or on a Goodbye. A
 * Hello from a new instance of a known node (it restarted, or reconnected to NATS and may have missed batches)
 * is `down` then `up`, so the host catches up from it again.
 */
export class Presence {
  readonly #peers = new Map<string, NatsPeer>();
  readonly #emit: (event: PeerEvent) => void;

  constructor(emit: (event: PeerEvent) => void) {
    this.#emit = emit;
  }

  /** Records `frame` (already checked: same cluster, a common version) from a peer whose liveness runs on `intervalMs`. */
  hello(frame: HelloFrame, version: number, intervalMs: number, now: number): HelloOutcome | 'full' {
    const old = this.#peers.get(frame.node);
    if (old === undefined && this.#peers.size >= MAX_PEERS) return 'full';
    const instance = frame.instance ?? '';
    if (old !== undefined && old.instance === instance) {
      old.liveness.seen(now);
      return 'known';
    }
    if (old !== undefined) this.#remove(old.node, 'the peer restarted or reconnected');
    const hello: HelloInfo = { vector: frame.vector, interests: frame.interests, capabilities: frame.capabilities };
    this.#peers.set(frame.node, { node: frame.node, instance, hello, version, liveness: new Liveness(intervalMs, now), acknowledged: frame.vector, clockSkewMs: undefined });
    this.#emit({ type: 'up', peer: frame.node, hello });
    return old === undefined ? 'new' : 'restarted';
  }

  /** Something arrived from `node`; false when it is not a known peer (its Hello is needed). */
  seen(node: string, now: number): boolean {
    const peer = this.#peers.get(node);
    peer?.liveness.seen(now);
    return peer !== undefined;
  }

  /** `node` acknowledged having applied `vector`. */
  acknowledged(node: string, vector: VersionVector, now: number): boolean {
    const peer = this.#peers.get(node);
    if (peer === undefined) return false;
    peer.acknowledged = vector;
    peer.liveness.seen(now);
    return true;
  }

  /** A heartbeat of `node`, stamped with its wall clock. */
  heartbeat(node: string, sentAtMs: number, now: number, wallNow: number): boolean {
    const peer = this.#peers.get(node);
    if (peer === undefined) return false;
    peer.liveness.seen(now);
    if (sentAtMs > 0) peer.clockSkewMs = sentAtMs - wallNow;
    return true;
  }

  /** `node` said goodbye, or must be forgotten: `down`. */
  remove(node: string, reason: string): void {
    this.#remove(node, reason);
  }

  /** Runs every peer's liveness: `suspect` and `down` events. */
  check(now: number): void {
    for (const peer of this.#peers.values()) {
      const change = peer.liveness.check(now);
      if (change === 'suspect') this.#emit({ type: 'suspect', peer: peer.node });
      else if (change === 'dead') this.#remove(peer.node, 'silent for 5 heartbeat intervals');
    }
  }

  /** Every known peer goes `down` (this node closed, or lost the medium). */
  clear(reason: string): void {
    for (const node of this.#peers.keys()) this.#remove(node, reason);
  }

  has(node: string): boolean {
    return this.#peers.has(node);
  }

  /** Peers that are up or suspect, oldest first. */
  nodes(): string[] {
    return [...this.#peers.keys()];
  }

  /** The interests `node` announced (empty: everything); undefined for an unknown node. */
  interestsOf(node: string): readonly string[] | undefined {
    return this.#peers.get(node)?.hello.interests;
  }

  describe(now: number, address: string): PeerInfo[] {
    return [...this.#peers.values()].map((peer) => ({
      node: peer.node,
      state: peer.liveness.state === 'suspect' ? 'suspect' : 'up',
      lastSeenMs: Math.max(0, now - peer.liveness.lastSeen),
      protocolVersion: peer.version,
      address,
      acknowledged: peer.acknowledged,
      clockSkewMs: peer.clockSkewMs,
    }));
  }

  #remove(node: string, reason: string): void {
    if (!this.#peers.delete(node)) return;
    this.#emit({ type: 'down', peer: node, reason });
  }
}
