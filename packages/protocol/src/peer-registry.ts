import type { PeerEvent, PeerInfo } from '@statemesh/contracts';
import type { Conversation } from './conversation.js';

/** What the registry decided about a conversation whose Hello was accepted. */
export type Admission =
  /** It carries the peer's traffic; `ended` are the links the engine must end (a restarted peer's old ones). */
  | { readonly kind: 'active'; readonly ended: readonly Conversation[] }
  /** Kept alive as a spare: it takes over, silently, if the active link goes first. */
  | { readonly kind: 'standby' }
  /** A duplicate that lost the tie-break: the engine ends it. */
  | { readonly kind: 'duplicate' };

/**
 * The peers of one engine, whatever links they came over: one active conversation per node id, so a node
 * reachable over two links (both dialled each other, or a bridge reaches it over IPC and gRPC) is ONE peer,
 * raising `up` once and `down` only when its last link is gone.
 */
export class PeerRegistry {
  readonly #nodeId: string;
  readonly #emit: (event: PeerEvent) => void;
  readonly #active = new Map<string, Conversation>();
  readonly #links = new Map<string, Set<Conversation>>();

  constructor(nodeId: string, emit: (event: PeerEvent) => void) {
    this.#nodeId = nodeId;
    this.#emit = emit;
  }

  /** The active conversation of every up peer, by node id (read-only for callers). */
  get active(): ReadonlyMap<string, Conversation> {
    return this.#active;
  }

  /** Number of up peers. */
  get size(): number {
    return this.#active.size;
  }

  /**
   * Admits a conversation whose Hello was accepted. A new instance of the node (it restarted): the new link wins,
   * `down` then `up` is raised so that catch-up is asked for again, and the old links are ended. Two links of one
   * instance: when each side dialled one, both keep the link dialled by the smaller node id; when one side dialled
   * both (a bridge, two seeds), the dialling side keeps the older and ends the newer, and the listening side keeps
   * whatever the dialler leaves it.
   */
  admit(conversation: Conversation): Admission {
    const peer = conversation.peer!;
    const current = this.#active.get(peer);
    const links = this.#links.get(peer) ?? new Set<Conversation>();
    this.#links.set(peer, links);
    if (current === undefined) {
      links.add(conversation);
      this.#activate(peer, conversation);
      this.#emit({ type: 'up', peer, hello: conversation.hello! });
      return { kind: 'active', ended: [] };
    }
    if (conversation.instance === '' || conversation.instance !== current.instance) {
      const ended = [...links];
      links.clear();
      links.add(conversation);
      for (const old of ended) old.state = 'standby';
      this.#activate(peer, conversation);
      this.#emit({ type: 'down', peer, reason: 'replaced by a newer link (the peer restarted)' });
      this.#emit({ type: 'up', peer, hello: conversation.hello! });
      return { kind: 'active', ended };
    }
    if (current.link.dialed !== conversation.link.dialed) {
      const dialerNode = (c: Conversation): string => (c.link.dialed ? this.#nodeId : peer);
      if (dialerNode(conversation) > dialerNode(current)) {
        conversation.state = 'standby';
        return { kind: 'duplicate' };
      }
      current.state = 'standby';
      links.delete(current);
      links.add(conversation);
      this.#activate(peer, conversation);
      return { kind: 'active', ended: [current] };
    }
    conversation.state = 'standby';
    if (conversation.link.dialed) return { kind: 'duplicate' };
    links.add(conversation);
    return { kind: 'standby' };
  }

  /** A conversation closed: a spare takes over silently, or (its last link gone) `down` is raised and true returned. */
  remove(conversation: Conversation, reason: string): boolean {
    const peer = conversation.peer;
    if (peer === undefined) return false;
    const links = this.#links.get(peer);
    links?.delete(conversation);
    if (this.#active.get(peer) !== conversation) return false;
    const spare = links === undefined ? undefined : [...links].find((c) => !c.isClosed);
    if (spare !== undefined) {
      this.#activate(peer, spare);
      return false;
    }
    this.#active.delete(peer);
    this.#links.delete(peer);
    this.#emit({ type: 'down', peer, reason });
    return true;
  }

  /** True while `peer` is up. */
  has(peer: string): boolean {
    return this.#active.has(peer);
  }

  #activate(peer: string, conversation: Conversation): void {
    conversation.state = 'active';
    this.#active.set(peer, conversation);
  }

  /** Forgets every peer, raising `down` for each (the engine is closing). */
  clear(reason: string): void {
    const peers = [...this.#active.keys()];
    this.#active.clear();
    this.#links.clear();
    for (const peer of peers) this.#emit({ type: 'down', peer, reason });
  }

  /** `Transport.peers()`: every up peer with its liveness, version, acknowledged vector and clock skew. */
  describe(now: number): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const [node, c] of this.#active) {
      const liveness = c.liveness!;
      out.push({
        node,
        state: liveness.state === 'dead' ? 'suspect' : liveness.state,
        lastSeenMs: Math.max(0, Math.round(now - liveness.lastSeen)),
        protocolVersion: c.version,
        address: c.address,
        acknowledged: c.acknowledged === undefined ? undefined : { ...c.acknowledged },
        clockSkewMs: c.clockSkewMs,
        links: c.announced?.links,
        linkCount: c.announced?.linkCount,
      });
    }
    return out;
  }
}
