import { StatemeshError, isStatemeshError, type ErrorCode } from '@statemesh/contracts';
import { sha256Hex } from './sha256.js';

/** How {@link fetchFromPeers} asks, and whom it tells. */
export interface PeerFetchOptions {
  /** The package fetching (`@statemesh/session`), the start of every message. */
  readonly source: string;
  /** Stops the asking: `CANCELLED`, from `cancelled()`. */
  readonly signal: AbortSignal;
  /** One request to one peer; rejects when the peer has no copy, does not answer in time or fails. */
  readonly ask: (peer: string) => Promise<Uint8Array>;
  /** Told of each answer whose bytes hash to `actual`, not to the digest asked for (dropped; the next peer is asked). */
  readonly onWrongBytes: (peer: string, actual: string) => void;
  /** The error a cancelled fetch rejects with. */
  readonly cancelled: () => StatemeshError;
}

/** Verified bytes of a blob and the peer that sent them. */
export interface PeerFetched {
  readonly bytes: Uint8Array;
  readonly peer: string;
}

/**
 * Asks `peers` in turn, in their order, for the blob `digest` until one answers bytes whose SHA-256 is `digest`.
 * Rejects with `NO_PEERS` when `peers` is empty; when none answered right, with `CHUNK_DIGEST_MISMATCH` (every peer sent wrong bytes), `TIMEOUT` (one at least did
 * not answer in time) or `CHUNK_NOT_FOUND`, its message naming each peer's answer; `signal` cancels it.
 */
export async function fetchFromPeers(digest: string, peers: readonly string[], options: PeerFetchOptions): Promise<PeerFetched> {
  if (peers.length === 0) {
    throw new StatemeshError('NO_PEERS', `${options.source}: no peer is up to fetch blob ${digest} from; retry once a peer holding it is connected`, {
      details: { digest },
    });
  }
  const reasons: string[] = [];
  let lies = 0;
  let timeouts = 0;
  for (const peer of peers) {
    if (options.signal.aborted) throw options.cancelled();
    let bytes: Uint8Array;
    try {
      bytes = await options.ask(peer);
    } catch (error) {
      if (options.signal.aborted) throw options.cancelled();
      if (isStatemeshError(error, 'TIMEOUT')) timeouts++;
      reasons.push(`${peer}: ${isStatemeshError(error) ? error.code : error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const actual = bytes instanceof Uint8Array ? sha256Hex(bytes) : 'not bytes';
    if (actual !== digest) {
      lies++;
      options.onWrongBytes(peer, actual);
      reasons.push(`${peer}: wrong bytes`);
      continue;
    }
    return { bytes, peer };
  }
  const code: ErrorCode = lies === peers.length ? 'CHUNK_DIGEST_MISMATCH' : timeouts > 0 ? 'TIMEOUT' : 'CHUNK_NOT_FOUND';
  throw new StatemeshError(code, `${options.source}: no peer gave blob ${digest} (${reasons.join('; ')}); retry once a peer holding it is up`, {
    details: { digest, peers: reasons },
  });
}
