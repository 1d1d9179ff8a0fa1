import type { CheckedEntry, CheckedMutation } from '../checked-mutation.js';
import { isUnderAny } from '../path.js';
import type { HelloInfo, PeerEvent, SnapshotPage, SnapshotRequest, TransportHost } from '../transport.js';
import { vectorCovers } from '../version.js';
import type { VersionVector } from '../version.js';

/** Options for {@link RecordingHost}. */
export interface RecordingHostOptions {
  /** Vector announced in the Hello and put on a snapshot's final page (default `{}`). */
  readonly vector?: VersionVector;
  /** Interests announced in the Hello (default `[]`: everything). */
  readonly interests?: readonly string[];
  /** Capabilities announced in the Hello (default `[]`). */
  readonly capabilities?: readonly string[];
  /** Chunks this host serves, by digest. */
  readonly chunks?: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;
  /** Entries this host's snapshots are made of, in the order pages carry them. */
  readonly entries?: readonly CheckedEntry[];
  /** Sequence numbers above this are received but not applied: {@link RecordingHost.appliedVector} stays below. */
  readonly applyUpTo?: number;
}

/** One batch a {@link RecordingHost} received. */
export interface ReceivedBatch {
  readonly from: string;
  readonly batch: readonly CheckedMutation[];
}

/**
 * A {@link TransportHost} for tests: records every batch and peer event it is given, serves chunks from a map
 * and snapshot pages from configured entries, and records the requests it answered.
 */
export class RecordingHost implements TransportHost {
  /** The Hello this host announces; tests may change it before a connection opens. */
  helloInfo: HelloInfo;
  /** Chunks served by {@link readChunk}. */
  readonly chunks: Map<string, Uint8Array>;
  /** Entries served by {@link snapshot}, filtered by the request's prefixes and vector. */
  entries: CheckedEntry[];
  /** Every batch received, in arrival order. */
  readonly batches: ReceivedBatch[] = [];
  /** Every peer event, in order. */
  readonly events: PeerEvent[] = [];
  /** Digests asked of {@link readChunk}, in order. */
  readonly chunkRequests: string[] = [];
  /** Snapshot requests answered, in order. */
  readonly snapshotRequests: SnapshotRequest[] = [];
  readonly #stalled = new Set<string>();
  readonly #applyUpTo: number;

  constructor(options: RecordingHostOptions = {}) {
    this.helloInfo = {
      vector: { ...options.vector },
      interests: [...(options.interests ?? [])],
      capabilities: [...(options.capabilities ?? [])],
    };
    const chunks = options.chunks ?? {};
    this.chunks = new Map(chunks instanceof Map ? chunks : Object.entries(chunks));
    this.entries = [...(options.entries ?? [])];
    this.#applyUpTo = options.applyUpTo ?? Number.MAX_SAFE_INTEGER;
  }

  /** The Hello's vector raised by every batch received (per origin, the highest seq with no gap), capped by `applyUpTo`. */
  appliedVector(): VersionVector {
    const vector: Record<string, number> = { ...this.helloInfo.vector };
    const seen = new Map<string, Set<number>>();
    for (const { batch } of this.batches) for (const m of batch) if (m.seq <= this.#applyUpTo) (seen.get(m.origin) ?? seen.set(m.origin, new Set()).get(m.origin)!).add(m.seq);
    for (const [origin, seqs] of seen) {
      let top = vector[origin] ?? 0;
      while (seqs.has(top + 1)) top++;
      vector[origin] = top;
    }
    return vector;
  }

  /** Returns {@link helloInfo}. */
  hello(): HelloInfo {
    return this.helloInfo;
  }

  /** Records the batch. */
  onMutations(batch: readonly CheckedMutation[], from: string): void {
    this.batches.push({ from, batch });
  }

  /** Records the event. */
  onPeerEvent(event: PeerEvent): void {
    this.events.push(event);
  }

  /** Serves from {@link chunks}; a digest passed to {@link stallChunk} never answers. */
  readChunk(digest: string): Promise<Uint8Array | undefined> {
    this.chunkRequests.push(digest);
    if (this.#stalled.has(digest)) return new Promise<never>(() => {});
    return Promise.resolve(this.chunks.get(digest));
  }

  /** Pages of {@link entries} under the request's prefixes, not covered by its vector; `pageSize` default 100. */
  async *snapshot(request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    this.snapshotRequests.push(request);
    const vector = request.vector;
    const selected = this.entries.filter(
      (entry) =>
        (request.prefixes.length === 0 || isUnderAny(entry.path, request.prefixes)) &&
        (vector === undefined || !vectorCovers(vector, entry.version)),
    );
    const pageSize = Math.max(1, request.pageSize ?? 100);
    for (let start = 0; ; start += pageSize) {
      const entries = selected.slice(start, start + pageSize);
      const last = start + pageSize >= selected.length;
      yield last ? { entries, last, vector: { ...this.helloInfo.vector } } : { entries, last };
      if (last) return;
    }
  }

  /** Makes {@link readChunk} never answer for `digest`, as a hung peer would (for timeout tests). */
  stallChunk(digest: string): void {
    this.#stalled.add(digest);
  }

  /** Every mutation received from `peer` (all peers when absent), flattened, in arrival order. */
  mutations(peer?: string): CheckedMutation[] {
    return this.batches.filter((received) => peer === undefined || received.from === peer).flatMap((r) => r.batch);
  }

  /** Peer events about `peer`, in order. */
  eventsFor(peer: string): PeerEvent[] {
    return this.events.filter((event) => event.peer === peer);
  }

  /** Peers whose latest event is `up` or `suspect` (not `down`). */
  upPeers(): string[] {
    const state = new Map<string, PeerEvent['type']>();
    for (const event of this.events) state.set(event.peer, event.type);
    return [...state].filter(([, type]) => type !== 'down').map(([peer]) => peer);
  }
}
