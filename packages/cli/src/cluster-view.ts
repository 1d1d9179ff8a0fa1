import { nodeOfOrigin, type Change, type SessionStatus } from '@statemesh/session';

/** What this node knows of one node of the cluster. */
export interface ClusterMember {
  readonly node: string;
  /**
   * `self`; a peer's link state (`up`, `suspect`, `connecting`, `down`); `dead` for a peer that left the peer
   * table; `relayed` for a node known only from the version vector (its writes reach this node through others);
   * `announced` for a node known only because a peer announced a link to it.
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
  /**
   * The nodes a peer (not dead) announced it is linked to, in its latest heartbeat, this node among them; `[]`
   * when it announces none (an older version); undefined for this node and nodes that are not peers.
   */
  readonly links: readonly string[] | undefined;
  /** How many links it announced, when more than `links` lists. */
  readonly linkCount: number | undefined;
}

/** The cluster as one node knows it: the nodes and the links between them that it can see. */
export interface ClusterSnapshot {
  readonly members: readonly ClusterMember[];
  /**
   * Links this node knows of: its own to each peer that is not dead (the peer's state), those its peers announced
   * between themselves and others (`announced`, once per pair), and `from -> origin` learnt from relays (`relays`).
   */
  readonly links: ReadonlyArray<{ readonly from: string; readonly to: string; readonly state: string }>;
}

interface Known {
  state: string;
  lastHeardAt: number | undefined;
  lagSeq: number | undefined;
  seq: number;
  via: string | undefined;
  peer: boolean;
  links: readonly string[] | undefined;
  linkCount: number | undefined;
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
      known.links = peer.links ?? [];
      known.linkCount = peer.linkCount;
    }
    for (const [node, known] of this.#known) {
      if (known.peer && !present.has(node)) {
        known.state = 'dead';
        known.lagSeq = undefined;
        known.links = undefined; // what it was linked to is no longer news
        known.linkCount = undefined;
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
      { node: this.#self, state: 'self', lastHeardAt: undefined, lagSeq: undefined, seq: status.localSequence, via: undefined, links: undefined, linkCount: undefined },
    ];
    const links: Array<{ from: string; to: string; state: string }> = [];
    const announced = this.#announcedLinks();
    for (const node of [...new Set([...this.#known.keys(), ...announced.ends])].sort()) {
      const known = this.#known.get(node);
      if (known === undefined) {
        members.push({ node, state: 'announced', lastHeardAt: undefined, lagSeq: undefined, seq: 0, via: undefined, links: undefined, linkCount: undefined });
        continue;
      }
      const state = known.peer ? known.state : 'relayed';
      members.push({ node, state, lastHeardAt: known.lastHeardAt, lagSeq: known.lagSeq, seq: known.seq, via: known.via, links: known.links, linkCount: known.linkCount });
      if (known.peer && known.state !== 'dead') links.push({ from: this.#self, to: node, state: known.state });
      if (known.via !== undefined) links.push({ from: known.via, to: node, state: 'relays' });
    }
    return { members, links: [...links, ...announced.links] };
  }

  /** The links between other nodes that peers announced, once per pair, and the nodes at their ends. */
  #announcedLinks(): { links: Array<{ from: string; to: string; state: string }>; ends: Set<string> } {
    const links: Array<{ from: string; to: string; state: string }> = [];
    const pairs = new Set<string>();
    const ends = new Set<string>();
    for (const [node, known] of [...this.#known].sort(([x], [y]) => (x < y ? -1 : 1))) {
      for (const to of known.links ?? []) {
        if (to === this.#self || to === node) continue;
        const pair = node < to ? `${node} ${to}` : `${to} ${node}`;
        if (pairs.has(pair)) continue;
        pairs.add(pair);
        ends.add(to);
        links.push({ from: node, to, state: 'announced' });
      }
    }
    return { links, ends };
  }

  #entry(node: string): Known {
    let known = this.#known.get(node);
    if (known === undefined) {
      known = { state: 'relayed', lastHeardAt: undefined, lagSeq: undefined, seq: 0, via: undefined, peer: false, links: undefined, linkCount: undefined };
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
