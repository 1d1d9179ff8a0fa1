import { StatemeshError, isStatemeshError, type Entry, type PeerEvent, type SnapshotPage, type SnapshotRequest, type Timers, type Transport } from '@statemesh/contracts';
import type { Shard } from '@statemesh/shard';
import type { ResolvedConfig } from './config.js';
import type { ReplicaJournal } from './replica-journal.js';
import { vouchesFor } from './replica-scope.js';
import type { PumpPeer } from './replication-pump.js';
import { SESSION_PREFIX, closedError, describe, plural } from './session-errors.js';

const SNAPSHOT_PAGE_SIZE = 1000;
/** How often `join()` looks whether `requirePeers` peers are up. */
const JOIN_POLL_MS = 20;

/** What the session keeps of an up peer beyond what the transport reports. */
interface RemotePeer extends PumpPeer {
  /** Whether the peer's vector claims writes only where this node's gates let them in too (see `vouchesFor`). */
  readonly vouches: boolean;
  /** Set while a catch-up from this peer is running. */
  catchUp: Promise<void> | undefined;
}

/** What {@link PeerCatchUps} needs of the session. */
export interface PeerCatchUpsOptions {
  readonly config: ResolvedConfig;
  readonly shard: Shard;
  readonly transport: Transport;
  readonly timers: Timers;
  /** With a `dataDir`: the entries a catch-up applied are kept on disk. */
  readonly journal: ReplicaJournal | undefined;
  /** False for an entry claiming this node's origin with a seq it never used (the shard refused it). */
  readonly notForged: (version: Entry['version']) => boolean;
  /** A peer came up (after its catch-up started). */
  readonly onPeerUp: () => void;
  readonly running: () => boolean;
  readonly log: (line: string) => void;
}

/** Counters of the catch-ups, as the session's metrics report them. */
export interface CatchUpCounters {
  readonly completed: number;
  readonly failed: number;
  readonly interrupted: number;
}

/** One catch-up under way, as `progress()` reports it. */
export interface CatchUpProgress {
  readonly peer: string;
  readonly pages: number;
  readonly entries: number;
  readonly elapsedMs: number;
}

/**
 * The up peers and the catch-ups from them (a pull: a snapshot of what is newer than this node's vector), when a
 * peer comes up and at each anti-entropy round, one peer after another; and the serving of peers' snapshots.
 */
export class PeerCatchUps {
  readonly #options: PeerCatchUpsOptions;
  readonly #shard: Shard;
  readonly #timers: Timers;
  /** Up peers, from the transport's peer events. */
  readonly #peers = new Map<string, RemotePeer>();
  /** Catch-ups under way, by peer. */
  readonly #progress = new Map<string, { pages: number; entries: number; startedAt: number }>();
  #turn = 0;
  #completed = 0;
  #failed = 0;
  #interrupted = 0;
  /** Settles once the first catch-up ended (done, failed or cut off), at once without catch-ups, or on `close()`. */
  readonly #first: { readonly promise: Promise<void>; readonly resolve: () => void };

  constructor(options: PeerCatchUpsOptions) {
    this.#options = options;
    this.#shard = options.shard;
    this.#timers = options.timers;
    let resolve!: () => void;
    this.#first = { promise: new Promise<void>((r) => (resolve = r)), resolve };
  }

  /** The up peers, by node id. */
  get peers(): ReadonlyMap<string, PumpPeer> {
    return this.#peers;
  }

  /**
   * Waits for what `join()` promises: the first catch-up done (or `joinTimeoutMs` passed) and `requirePeers`
   * peers up; rejects with `NO_PEERS` when fewer are up in time, with `CLOSED` once `closed()`.
   */
  async waitForJoin(closed: () => boolean): Promise<void> {
    const config = this.#options.config;
    const { seeds, snapshotOnJoin, joinTimeoutMs, requirePeers } = config;
    const deadline = this.#timers.now() + joinTimeoutMs;
    let timedOut = false;
    if (seeds.length > 0 && snapshotOnJoin && joinTimeoutMs > 0) {
      // A restarted node gets back what it held from its peers' catch-up: wait for the first one (its sequence
      // numbers never depend on it: see docs/adr/0004-no-reused-sequence.md).
      let timer: object | undefined;
      await Promise.race([
        this.#first.promise,
        new Promise<void>((resolve) => {
          timer = this.#timers.setTimeout(() => {
            timedOut = true;
            resolve();
          }, joinTimeoutMs);
        }),
      ]);
      if (timer !== undefined) this.#timers.clearTimeout(timer);
    }
    const peers = this.#peers;
    // Polled on the session's timers (a simulator's virtual time included) rather than hooked into peer events.
    while (peers.size < requirePeers && this.#timers.now() < deadline && !closed()) {
      await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, Math.min(JOIN_POLL_MS, deadline - this.#timers.now())));
    }
    if (closed()) throw closedError('join');
    if (peers.size < requirePeers) {
      throw new StatemeshError(
        'NO_PEERS',
        `${SESSION_PREFIX}node ${config.nodeId} has ${plural(peers.size, 'peer')} up after ${joinTimeoutMs} ms, and config.requirePeers asks for ${requirePeers} (seeds: ${seeds.join(', ') || 'none'}); start those nodes, check the seed addresses, or raise joinTimeoutMs`,
        { details: { up: peers.size, required: requirePeers, seeds: [...seeds], joinTimeoutMs } },
      );
    }
    if (timedOut && peers.size === 0) {
      this.#options.log(`${SESSION_PREFIX}node ${config.nodeId} joined with no peer up after ${joinTimeoutMs} ms: no answer from seeds ${seeds.join(', ')}; still redialling them (config.requirePeers makes join() fail instead)`);
    }
  }

  /** The transport's news of a peer: up (a catch-up from it starts), or down. */
  onPeerEvent(event: PeerEvent): void {
    if (event.type === 'up') {
      const interests = event.hello.interests ?? [];
      const peer: RemotePeer = { interests, vouches: vouchesFor(interests, event.hello.capabilities ?? [], this.#options.config.interests), catchUp: undefined };
      this.#peers.set(event.peer, peer);
      if (this.#options.config.snapshotOnJoin) peer.catchUp = this.#catchUp(event.peer);
      else this.#first.resolve();
      this.#options.onPeerUp();
    } else if (event.type === 'down') {
      this.#peers.delete(event.peer);
    }
  }

  /** Catches up from the next up peer in turn, unless a catch-up is already running. */
  antiEntropy(): void {
    if (!this.#options.running() || !this.#options.config.snapshotOnJoin) return;
    const peers = [...this.#peers];
    if (peers.length === 0 || peers.some(([, peer]) => peer.catchUp !== undefined)) return;
    const [node, peer] = peers[this.#turn++ % peers.length]!;
    peer.catchUp = this.#catchUp(node);
  }

  /** A peer's snapshot request answered page by page. */
  async *serveSnapshot(request: SnapshotRequest): AsyncGenerator<SnapshotPage> {
    for (const page of this.#shard.pages(request)) {
      yield page;
      // Let live traffic through between pages of a large snapshot.
      await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, 0));
    }
  }

  counters(): CatchUpCounters {
    return { completed: this.#completed, failed: this.#failed, interrupted: this.#interrupted };
  }

  /** The catch-ups under way that brought something (most anti-entropy rounds bring nothing at all: no news). */
  progress(): CatchUpProgress[] {
    const now = this.#timers.now();
    return [...this.#progress].filter(([, p]) => p.entries > 0).map(([peer, p]) => ({ peer, pages: p.pages, entries: p.entries, elapsedMs: now - p.startedAt }));
  }

  /** Ends the wait for a first catch-up. */
  close(): void {
    this.#first.resolve();
  }

  async #catchUp(peer: string): Promise<void> {
    const { config, transport, journal } = this.#options;
    const request: SnapshotRequest = { prefixes: config.interests, vector: this.#shard.vector(), pageSize: SNAPSHOT_PAGE_SIZE };
    const pages = transport.requestSnapshot(peer, request)[Symbol.asyncIterator]();
    const progress = { pages: 0, entries: 0, startedAt: this.#timers.now() };
    this.#progress.set(peer, progress);
    try {
      for (;;) {
        const next = await this.#within(pages.next(), config.catchUpPageTimeoutMs, `the next catch-up page from '${peer}'`);
        if (next.done === true) break;
        // The vector is raised only with the last page (a catch-up cut off half-way is asked for again), and only
        // to the vector of a peer whose gates let in all this node's do (it claims what it turned away).
        const vouches = this.#peers.get(peer)?.vouches === true;
        this.#shard.applyPage(vouches ? next.value : { ...next.value, vector: undefined }, peer);
        if (journal !== undefined) journal.appendEntries(next.value.entries.filter((e) => this.#options.notForged(e.version)));
        progress.pages++;
        progress.entries += next.value.entries.length;
      }
      this.#completed++;
    } catch (error) {
      // The peer left mid catch-up: it is asked for again when the peer is back. Counted, not logged.
      const interrupted = isStatemeshError(error, 'PEER_UNAVAILABLE');
      if (interrupted) this.#interrupted++;
      else this.#failed++;
      if (this.#options.running() && !interrupted) this.#options.log(`${SESSION_PREFIX}catch-up from '${peer}' failed (asked for again at the next anti-entropy round, or when the peer reconnects): ${describe(error)}`);
    } finally {
      pages.return?.().catch(() => undefined);
      if (this.#progress.get(peer) === progress) this.#progress.delete(peer);
      const link = this.#peers.get(peer);
      if (link !== undefined) link.catchUp = undefined;
      this.#first.resolve();
    }
  }

  /** Resolves as `promise` does, or rejects with `TIMEOUT` after `ms` on the session's timers. */
  #within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => reject(new StatemeshError('TIMEOUT', `${SESSION_PREFIX}no answer within ${ms} ms: ${what}`)), ms);
      promise.then(
        (value) => {
          this.#timers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.#timers.clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }
}
