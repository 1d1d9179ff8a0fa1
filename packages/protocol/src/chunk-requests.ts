import { StatemeshError, isDigest, isStatemeshError, type FetchChunkOptions, type TimerHandle, type Timers } from '@statemesh/contracts';
import type { ChunkRequestFrame, ChunkResponseFrame } from '@statemesh/wire';

/** What a {@link ChunkRequests} needs from the transport that owns it; `C` is its connection (socket, stream). */
export interface ChunkRequestsLinks<C> {
  /** The package name of the transport, which prefixes every error message. */
  readonly source: string;
  /** The timers the fetch timeouts run on. */
  readonly timers: Timers;
  /** The active connection of every up peer, by node id (read, never changed). */
  readonly peers: ReadonlyMap<string, C>;
  /** A fresh request id, unique among the transport's requests. */
  nextRequestId(): number;
  /** Queues `frame` on `connection`; false when the peer was dropped for not keeping up. */
  send(connection: C, frame: ChunkRequestFrame): boolean;
  /** The error to fail a fetch with once the transport no longer runs; undefined while it runs. */
  closedError(): StatemeshError | undefined;
  /** Requests in flight to one peer at most (default {@link DEFAULT_MAX_CHUNK_REQUESTS_PER_PEER}); more wait their turn. */
  readonly maxPerPeer?: number | undefined;
}

/** Chunk requests in flight to one peer at most, by default: more wait in order, their timeout running. */
export const DEFAULT_MAX_CHUNK_REQUESTS_PER_PEER = 8;

/** The requests of one connection: how many are in flight, and who waits for a turn. */
interface PeerTurns {
  inFlight: number;
  readonly waiting: (() => void)[];
}

interface PendingChunk<C> {
  readonly connection: C;
  resolve(answer: { found: boolean; data: Uint8Array }): void;
  reject(error: Error): void;
}

/** The default time a chunk fetch may take, per DESIGN.md section 3. */
const DEFAULT_CHUNK_TIMEOUT_MS = 10_000;

/**
 * The chunk fetches of one transport, pending by request id: asks peers in turn until one holds the chunk, with a
 * timeout for the whole fetch and cancellation by `AbortSignal`. Rejects with `CHUNK_NOT_FOUND`, `NO_PEERS`,
 * `TIMEOUT` or `CANCELLED`; sockets, streams and framing stay in the transport.
 */
export class ChunkRequests<C> {
  readonly #links: ChunkRequestsLinks<C>;
  readonly #pending = new Map<number, PendingChunk<C>>();
  readonly #turns = new Map<C, PeerTurns>();
  readonly #maxPerPeer: number;

  constructor(links: ChunkRequestsLinks<C>) {
    this.#links = links;
    this.#maxPerPeer = links.maxPerPeer ?? DEFAULT_MAX_CHUNK_REQUESTS_PER_PEER;
  }

  /** Fetches a chunk by digest from `options.peer`, or from every up peer in turn (`INVALID_ARGUMENT` for a bad digest). */
  async fetch(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    const { source, peers } = this.#links;
    if (!isDigest(digest)) {
      throw new StatemeshError('INVALID_ARGUMENT', `${source}: ${JSON.stringify(digest)} is not a SHA-256 digest (64 lowercase hex characters)`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_CHUNK_TIMEOUT_MS;
    const candidates = options.peer === undefined ? [...peers.keys()] : [options.peer];
    if (candidates.every((node) => !peers.has(node))) {
      throw new StatemeshError(
        'NO_PEERS',
        options.peer === undefined
          ? `${source}: no peer is connected to fetch chunk ${digest} from; wait for a peer to come up`
          : `${source}: peer ${options.peer} is not connected; fetch chunk ${digest} from another peer or wait for it to come up`,
        { details: { digest, peer: options.peer } },
      );
    }
    const signal = options.signal;
    if (signal?.aborted === true) throw this.#cancelled(digest);
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = this.#links.timers.setTimeout(
        () =>
          reject(
            new StatemeshError('TIMEOUT', `${source}: no peer delivered chunk ${digest} within ${timeoutMs} ms; retry later or raise timeoutMs`, {
              details: { digest, timeoutMs },
            }),
          ),
        timeoutMs,
      );
      onAbort = () => reject(this.#cancelled(digest));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const current = { requestId: 0, ended: false };
    try {
      return await Promise.race([this.#askInTurn(digest, candidates, current), stop]);
    } finally {
      current.ended = true;
      if (timer !== undefined) this.#links.timers.clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      // The request nobody waits for any more: end it, so that its peer's turn passes on.
      const pending = this.#pending.get(current.requestId);
      this.#pending.delete(current.requestId);
      pending?.reject(this.#cancelled(digest));
    }
  }

  /** Hands a peer's answer to the fetch that asked `connection` for it; answers nobody waits for are dropped. */
  answer(connection: C, frame: ChunkResponseFrame): void {
    const pending = this.#pending.get(frame.requestId);
    if (pending?.connection !== connection) return;
    this.#pending.delete(frame.requestId);
    pending.resolve({ found: frame.found, data: frame.data });
  }

  /** Fails every request waiting on `connection` with `error` (it closed); a fetch then asks its next peer. */
  failConnection(connection: C, error: Error): void {
    for (const [requestId, pending] of this.#pending) {
      if (pending.connection !== connection) continue;
      this.#pending.delete(requestId);
      pending.reject(error);
    }
    // Those waiting for a turn on it go now: their send fails and they ask their next peer.
    const turns = this.#turns.get(connection);
    this.#turns.delete(connection);
    for (const go of turns?.waiting.splice(0) ?? []) go();
  }

  /** Requests waiting for a turn on a peer right now (over its bound). */
  get queued(): number {
    let queued = 0;
    for (const turns of this.#turns.values()) queued += turns.waiting.length;
    return queued;
  }

  /** Requests waiting for an answer right now. */
  get size(): number {
    return this.#pending.size;
  }

  async #askInTurn(digest: string, candidates: readonly string[], current: { requestId: number; ended: boolean }): Promise<Uint8Array> {
    const { source, peers } = this.#links;
    let answered = 0;
    for (const node of candidates) {
      const closed = this.#links.closedError();
      if (closed !== undefined) throw closed;
      let connection = peers.get(node);
      if (connection === undefined) continue;
      let release = await this.#turn(connection);
      try {
        // The peer's connection replaced while waiting: wait for a turn on the new one.
        for (let now = peers.get(node); now !== undefined && now !== connection && !current.ended; now = peers.get(node)) {
          release();
          connection = now;
          release = await this.#turn(now);
        }
        if (current.ended) throw this.#cancelled(digest); // timed out or cancelled while waiting for a turn
        if (peers.get(node) !== connection) continue; // that peer went away while waiting
        const requestId = this.#links.nextRequestId();
        current.requestId = requestId;
        const asked = connection;
        const answer = new Promise<{ found: boolean; data: Uint8Array }>((resolve, reject) => this.#pending.set(requestId, { connection: asked, resolve, reject }));
        if (!this.#links.send(connection, { kind: 'chunk-request', requestId, digest })) {
          // That peer was dropped for not keeping up: nobody will answer, ask the next one.
          this.#pending.delete(requestId);
          continue;
        }
        try {
          const { found, data } = await answer;
          if (found) return data;
          answered++;
        } catch (error) {
          if (isStatemeshError(error, 'CLOSED') || current.ended) throw error;
          // That peer went away: ask the next one.
        }
      } finally {
        release();
      }
    }
    throw answered === 0
      ? new StatemeshError('NO_PEERS', `${source}: every peer to ask for chunk ${digest} disconnected; retry when peers are up`, { details: { digest } })
      : new StatemeshError('CHUNK_NOT_FOUND', `${source}: no peer holds chunk ${digest} (${answered} answered that they do not)`, { details: { digest, answered } });
  }

  /** Resolves with a release function once `connection` has fewer than the bound of requests in flight. */
  async #turn(connection: C): Promise<() => void> {
    let turns = this.#turns.get(connection);
    if (turns === undefined) {
      turns = { inFlight: 0, waiting: [] };
      this.#turns.set(connection, turns);
    }
    if (turns.inFlight >= this.#maxPerPeer) await new Promise<void>((resolve) => turns.waiting.push(resolve));
    turns.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      turns.inFlight--;
      const next = turns.waiting.shift();
      if (next !== undefined) next();
      else if (turns.inFlight === 0 && this.#turns.get(connection) === turns) this.#turns.delete(connection);
    };
  }

  #cancelled(digest: string): StatemeshError {
    return new StatemeshError('CANCELLED', `${this.#links.source}: fetch of chunk ${digest} was cancelled by its signal`, { details: { digest } });
  }
}
