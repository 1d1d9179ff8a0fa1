import { StatemeshError, isDigest, isStatemeshError, type BlobStore, type ChunkSource } from '@statemesh/contracts';
import { fetchFromPeers } from '@statemesh/blob-store';
import { SharedFetches } from './shared-fetch.js';

const PREFIX = '@statemesh/session: ';

/** Options of {@link Session.fetchBlob}. */
export interface FetchBlobOptions {
  /** Cancels this caller's wait (`CANCELLED`); the fetch itself stops once no caller waits. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Peers to ask only once the others had no copy: e.g. the node that wrote the blob, so that nodes which fetched
   * it already serve it instead (the first caller of concurrent ones decides).
   */
  readonly askLast?: readonly string[] | undefined;
}

/** What a node's blob fetches did: from its own store, from which peer, and what went wrong. */
export interface BlobFetchStats {
  /** Blobs found in this node's own store. */
  readonly local: number;
  /** Blobs fetched from peers, verified and stored. */
  readonly fetched: number;
  readonly bytesFetched: number;
  /** Blobs fetched, by the peer that served them. */
  readonly byPeer: Readonly<Record<string, number>>;
  /** Answers whose bytes did not hash to the digest asked for (dropped; the next peer was asked). */
  readonly lyingPeers: number;
  /** Fetches that failed (no peer had the blob, none answered in time); cancellations are not counted. */
  readonly failures: number;
}

/**
 * Fetches one content-addressed blob by digest: from the local store, else from each up peer in turn, verified by
 * SHA-256 and stored, so that this node serves it to others afterwards. Concurrent fetches of one digest share one
 * request.
 */
export class BlobFetcher {
  readonly #store: BlobStore;
  readonly #source: ChunkSource;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #runs = new SharedFetches<Uint8Array>((digest) => cancelled(digest));
  readonly #stats = { local: 0, fetched: 0, bytesFetched: 0, lyingPeers: 0, failures: 0 };
  readonly #byPeer = new Map<string, number>();

  constructor(options: { store: BlobStore; source: ChunkSource; timeoutMs: number; log: (line: string) => void }) {
    this.#store = options.store;
    this.#source = options.source;
    this.#timeoutMs = options.timeoutMs;
    this.#log = options.log;
  }

  /** The blob's bytes; rejects with `CHUNK_NOT_FOUND`, `NO_PEERS`, `TIMEOUT`, `CHUNK_DIGEST_MISMATCH` or `CANCELLED`. */
  fetch(digest: string, options: FetchBlobOptions = {}): Promise<Uint8Array> {
    if (!isDigest(digest)) {
      return Promise.reject(new StatemeshError('INVALID_ARGUMENT', `${PREFIX}${JSON.stringify(digest)} is not a blob digest (64 lowercase hex characters of SHA-256)`));
    }
    const askLast = options.askLast ?? [];
    return this.#runs.join(digest, (signal) => this.#run(digest, signal, askLast), options.signal);
  }

  /** Counters since the session started. */
  stats(): BlobFetchStats {
    return { ...this.#stats, byPeer: Object.fromEntries(this.#byPeer) };
  }

  async #run(digest: string, signal: AbortSignal, askLast: readonly string[]): Promise<Uint8Array> {
    const stored = await this.#store.get(digest).catch((error: unknown) => {
      if (isStatemeshError(error, 'CHUNK_DIGEST_MISMATCH')) return undefined; // corrupt on disk: fetch it again
      throw error;
    });
    if (stored !== undefined) {
      this.#stats.local++;
      return stored;
    }
    // Up peers first, then suspect ones (silent a little while: a busy event loop may still answer); `askLast` last.
    const known = this.#source.peers();
    const rank = (peer: { node: string; state: string }): number => (askLast.includes(peer.node) ? 2 : 0) + (peer.state === 'up' ? 0 : 1);
    const peers = known
      .filter((peer) => peer.state === 'up' || peer.state === 'suspect')
      .sort((a, b) => rank(a) - rank(b))
      .map((peer) => peer.node);
    const { bytes, peer } = await fetchFromPeers(digest, peers, {
      source: '@statemesh/session',
      signal,
      ask: (peer) => this.#source.fetchChunk(digest, { peer, timeoutMs: this.#timeoutMs, signal }),
      onWrongBytes: (peer, actual) => {
        this.#stats.lyingPeers++;
        this.#log(`${PREFIX}peer ${peer} answered blob ${digest} with bytes that hash to ${actual}; dropped them, asking the next peer`);
      },
      cancelled: () => cancelled(digest),
    }).catch((error: unknown) => {
      if (!signal.aborted) this.#stats.failures++; // no peer had it, none answered in time: not a cancellation
      throw error;
    });
    await this.#store.put(bytes);
    this.#stats.fetched++;
    this.#stats.bytesFetched += bytes.byteLength;
    this.#byPeer.set(peer, (this.#byPeer.get(peer) ?? 0) + 1);
    return bytes;
  }
}

function cancelled(digest: string): StatemeshError {
  return new StatemeshError('CANCELLED', `${PREFIX}the fetch of blob ${digest} was cancelled`, { details: { digest } });
}
