import { nodeOfOrigin, type Change, type SessionStatus } from '@statemesh/session';

/** What this node knows of one node of the cluster. */
export interface ClusterMember {
  readonly node: string;
  /**
   * `self`; a peer's link state (`up`, `suspect`, `connecting`, `down`); `dead` for a peer that left the peer
   * table; `relayed` for a node known only from the version vector (its writes reach this node through others).
   */
  readonly state: string;
  /** Epoch milliseconds when it was last heard from (a peer) or when its writes last advanced (relayed). */
  readonly lastHeardAt: number | undefined;
  /** This node's writes the peer is not known to have (direct peers only). */
  readonly lagSeq: number | undefined;
  /** The highest of its writes this node holds (its entry in the version vector). */
  readonly seq: number;
  /** The peer its latest write arrived from, when that was not the node itself: a link this node knows of. */
  readonly via: string | undefined;
}

/** The cluster as one node knows it: the nodes and the links between them that it can see. */
export interface ClusterSnapshot {
  readonly members: readonly ClusterMember[];
  /** Links this node knows of: its own to each peer that is not dead, and `from -> origin` learnt from relays. */
  readonly links: ReadonlyArray<{ readonly from: string; readonly to: string; readonly state: string }>;
}

interface Known {
  state: string;
  lastHeardAt: number | undefined;
  lagSeq: number | undefined;
  seq: number;
  via: string | undefined;
  peer: boolean;
}

/** The most nodes remembered: a bound on memory when ids churn. The least recently heard are forgotten first. */
const MAX_MEMBERS = 1024;

/**
 * Keeps the cluster as this node has seen it over time: peers that leave stay, as `dead`, with when they were
 * last heard; every origin of the vector appears, with the peer its writes arrive through.
 */
export class ClusterView {
  readonly #self: string;
  readonly #known = new Map<string, Known>();

  constructor(self: string) {
    this.#self = self;
  }

  /** Takes in the session's status and vector now. */
  observe(status: SessionStatus, vector: Readonly<Record<string, number>>, now = Date.now()): void {
    const present = new Set<string>();
    for (const peer of status.peers) {
      present.add(peer.node);
      const known = this.#entry(peer.node);
      known.peer = true;
      known.state = peer.state;
      known.lastHeardAt = now - peer.lastSeenMs;
      known.lagSeq = peer.lagSeq;
    }
    for (const [node, known] of this.#known) {
      if (known.peer && !present.has(node)) {
        known.state = 'dead';
        known.lagSeq = undefined;
      }
    }
    // An origin is a node id, or `<node id>~<incarnation>`: every incarnation of a node is that node.
    for (const [origin, seq] of Object.entries(vector)) {
      const node = nodeOfOrigin(origin);
      if (node === this.#self) continue;
      const known = this.#entry(node);
      if (seq > known.seq && !known.peer) known.lastHeardAt = now;
      known.seq = Math.max(known.seq, seq);
    }
    this.#trim();
  }

  /** Takes in a batch of applied changes: which peer relayed which origin's writes. */
  observeChanges(changes: readonly Change[]): void {
    if (changes.length > 0) this.#trim();
    for (const change of changes) {
      const origin = nodeOfOrigin(change.version.origin);
      if (change.from === 'local' || origin === this.#self) continue;
      const known = this.#entry(origin);
      known.via = change.from === origin ? undefined : change.from;
      if (!known.peer) known.lastHeardAt = Date.now();
    }
  }

  /** This node first, then the others by id. */
  snapshot(status: SessionStatus): ClusterSnapshot {
    const members: ClusterMember[] = [
      { node: this.#self, state: 'self', lastHeardAt: undefined, lagSeq: undefined, seq: status.localSequence, via: undefined },
    ];
    const links: Array<{ from: string; to: string; state: string }> = [];
    for (const node of [...this.#known.keys()].sort()) {
      const known = this.#known.get(node)!;
      members.push({ node, state: known.peer ? known.state : 'relayed', lastHeardAt: known.lastHeardAt, lagSeq: known.lagSeq, seq: known.seq, via: known.via });
      if (known.peer && known.state !== 'dead') links.push({ from: this.#self, to: node, state: known.state });
      if (known.via !== undefined) links.push({ from: known.via, to: node, state: 'relays' });
    }
    return { members, links };
  }

  #entry(node: string): Known {
    let known = this.#known.get(node);
    if (known === undefined) {
      known = { state: 'relayed', lastHeardAt: undefined, lagSeq: undefined, seq: 0, via: undefined, peer: false };
      this.#known.set(node, known);
    }
    return known;
  }

  #trim(): void {
    if (this.#known.size <= MAX_MEMBERS) return;
    const oldest = [...this.#known].sort((a, b) => (a[1].lastHeardAt ?? 0) - (b[1].lastHeardAt ?? 0));
    for (const [node] of oldest.slice(0, this.#known.size - MAX_MEMBERS)) this.#known.delete(node);
  }
}
