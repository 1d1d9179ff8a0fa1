// A ChunkSource for tests: named peers, each with a behaviour, and a record of every request.
import { StatemeshError, type BlobStore, type ChunkSource, type FetchChunkOptions, type PeerInfo } from '@statemesh/contracts';

/** honest: serves from `holds`; liar: sends other bytes; empty: has nothing; slow: never answers (until aborted). */
export type PeerBehaviour = 'honest' | 'liar' | 'empty' | 'slow';

export interface FetchRecord {
  readonly peer: string;
  readonly digest: string;
  readonly signal: AbortSignal | undefined;
}

export class FakeChunkSource implements ChunkSource {
  readonly fetches: FetchRecord[] = [];
  readonly peerMap = new Map<string, { behaviour: PeerBehaviour; state: PeerInfo['state'] }>();
  /** When set, an honest peer serves only these digests and answers CHUNK_NOT_FOUND for the rest. */
  servable: Set<string> | undefined;

  constructor(readonly holds: BlobStore, peers: Record<string, PeerBehaviour>) {
    for (const [node, behaviour] of Object.entries(peers)) this.peerMap.set(node, { behaviour, state: 'up' });
  }

  peers(): PeerInfo[] {
    return [...this.peerMap].map(([node, { state }]) => ({ node, state, lastSeenMs: 0, protocolVersion: 1 }));
  }

  async fetchChunk(digest: string, options?: FetchChunkOptions): Promise<Uint8Array> {
    const peer = options?.peer ?? [...this.peerMap.keys()][0]!;
    this.fetches.push({ peer, digest, signal: options?.signal });
    const behaviour = this.peerMap.get(peer)?.behaviour;
    if (behaviour === 'slow') {
      return new Promise<Uint8Array>((_, reject) => {
        options?.signal?.addEventListener('abort', () => reject(new StatemeshError('CANCELLED', 'fake: aborted')), { once: true });
      });
    }
    if (behaviour === 'liar') return new TextEncoder().encode(`not ${digest}`);
    const bytes = behaviour === 'honest' && (this.servable?.has(digest) ?? true) ? await this.holds.get(digest) : undefined;
    if (bytes === undefined) throw new StatemeshError('CHUNK_NOT_FOUND', `fake: ${peer} has no ${digest}`);
    return bytes;
  }

  /** Digests fetched from `peer` (all peers when absent). */
  fetched(peer?: string): string[] {
    return this.fetches.filter((f) => peer === undefined || f.peer === peer).map((f) => f.digest);
  }
}
