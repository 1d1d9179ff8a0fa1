import type { HelloInfo, VersionVector } from '@statemesh/contracts';

/** What the session knows of one connected peer beyond what its transport reports. */
export interface PeerLink {
  readonly node: string;
  /** Prefixes the peer replicates; empty: everything. Writes outside them are not sent to it. */
  readonly interests: readonly string[];
  /** The peer's vector as of its Hello. */
  readonly helloVector: VersionVector;
  /** Our highest sequence number the peer has (from its Hello, then raised by what we send it). */
  ackedSeq: number;
  /** Set while a catch-up from this peer is running. */
  catchUp: Promise<void> | undefined;
  /** Catch-ups completed from this peer. */
  catchUps: number;
}

/** The session's table of up peers. */
export class PeerTable {
  readonly #links = new Map<string, PeerLink>();

  /** Records a peer that came up with this Hello, replacing an older link. */
  up(node: string, hello: HelloInfo, ownOrigin: string): PeerLink {
    const link: PeerLink = {
      node,
      interests: hello.interests ?? [],
      helloVector: hello.vector,
      ackedSeq: hello.vector[ownOrigin] ?? 0,
      catchUp: undefined,
      catchUps: 0,
    };
    this.#links.set(node, link);
    return link;
  }

  /** Forgets a peer that went down. */
  down(node: string): void {
    this.#links.delete(node);
  }

  get(node: string): PeerLink | undefined {
    return this.#links.get(node);
  }

  /** Every up peer. */
  all(): IterableIterator<PeerLink> {
    return this.#links.values();
  }

  get size(): number {
    return this.#links.size;
  }

  /** True when no peer narrows what it receives, so one batch fits all. */
  everyoneWantsEverything(): boolean {
    for (const link of this.#links.values()) if (link.interests.length !== 0) return false;
    return true;
  }
}
