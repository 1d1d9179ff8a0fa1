import { StatemeshError, compareVersions, isBlobRef } from '@statemesh/contracts';
import type { Mutation, PeerInfo, TimerHandle, Timers, Version } from '@statemesh/contracts';

/** Options of `Session.replicated`. */
export interface ReplicatedOptions {
  /** How many other nodes must have acknowledged the write (`'all'`: every peer known now, at least one). Default 1. */
  readonly peers?: number | 'all' | undefined;
  /** Reject with `TIMEOUT` after this long (default 10 000). */
  readonly timeoutMs?: number | undefined;
}

/** What {@link ReplicationWaits} needs from the session. */
export interface ReplicationWaitsOptions {
  readonly timers: Timers;
  /** The transport's peers now. */
  readonly peers: () => readonly PeerInfo[];
  /** This node's origin: its large writes are the ones whose chunks are waited for. */
  readonly origin: () => string;
  /** The version of the value at `path` here now (undefined or newer: the large write waited for was superseded). */
  readonly versionAt: (path: string) => Version | undefined;
}

interface Wait {
  readonly version: Version;
  readonly peers: number | 'all';
  /** Peers that acknowledged the write (kept when they go down afterwards: they held it). */
  readonly acked: Set<string>;
  /** Peers whose vector covers a large write whose chunks they have not said they hold (for the TIMEOUT's details). */
  readonly referenceOnly: Set<string>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle;
}

const PREFIX = '@statemesh/session: ';
/** How often the peers' acknowledged vectors are looked at while someone waits. */
const POLL_MS = 10;
/** This node's latest large writes remembered (by seq) for `replicated` to wait for their chunks. */
const LARGE_WRITES = 65_536;
/** Digests remembered per peer from its `Ack.held` lists. */
const HELD_PER_PEER = 4096;

/**
 * Waits for writes to be acknowledged by other nodes: a peer acknowledges a write when the vector of its last
 * `Ack` frame covers it (with a `dataDir`, a node acknowledges only what is on its disk) and, for a large value of
 * this node's, once it also listed the value's digest in an `Ack` (`held`: manifest and every chunk stored there).
 * A large write superseded here since needs its reference only: its chunks are no longer the value. Polls the
 * transport's peers on the session's timers while anyone waits.
 */
export class ReplicationWaits {
  readonly #timers: Timers;
  readonly #peers: () => readonly PeerInfo[];
  readonly #origin: () => string;
  readonly #versionAt: (path: string) => Version | undefined;
  readonly #waits = new Set<Wait>();
  /** This node's large writes by seq: their path and digest. */
  readonly #largeWrites = new Map<number, { readonly path: string; readonly digest: string }>();
  /** Per peer, the digests it said it holds (latest {@link HELD_PER_PEER}). */
  readonly #held = new Map<string, Set<string>>();
  #poll: TimerHandle | undefined;

  constructor(options: ReplicationWaitsOptions) {
    this.#timers = options.timers;
    this.#peers = options.peers;
    this.#origin = options.origin;
    this.#versionAt = options.versionAt;
  }

  /** This node's writes as drained (before they leave the process): the large ones are remembered. */
  noteDrained(batch: readonly Mutation[]): void {
    for (const m of batch) {
      if (m.op !== 'set' || !isBlobRef(m.payload)) continue;
      this.#largeWrites.set(m.seq, { path: m.path, digest: m.payload.digest });
      if (this.#largeWrites.size > LARGE_WRITES) this.#largeWrites.delete(this.#largeWrites.keys().next().value!);
    }
  }

  /** `peer` said (in an `Ack`) it stored these large values whole. */
  blobsHeld(peer: string, digests: readonly string[]): void {
    let held = this.#held.get(peer);
    if (held === undefined) this.#held.set(peer, (held = new Set()));
    for (const digest of digests) {
      held.delete(digest);
      held.add(digest);
      if (held.size > HELD_PER_PEER) held.delete(held.values().next().value!);
    }
    for (const wait of this.#waits) this.#check(wait);
  }

  wait(version: Version, options: ReplicatedOptions): Promise<void> {
    const peers = options.peers ?? 1;
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (peers !== 'all' && (!Number.isInteger(peers) || peers < 0)) {
      return Promise.reject(new StatemeshError('INVALID_ARGUMENT', `${PREFIX}replicated() needs peers: a whole number ≥ 0 or 'all', not ${JSON.stringify(peers)}`));
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(new StatemeshError('INVALID_ARGUMENT', `${PREFIX}replicated() needs timeoutMs: a whole number of milliseconds ≥ 0, not ${JSON.stringify(timeoutMs)}`));
    }
    return new Promise<void>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        const referenceOnly = [...wait.referenceOnly].filter((peer) => !wait.acked.has(peer));
        const chunks = referenceOnly.length === 0 ? '' : `; ${referenceOnly.join(', ')} applied its reference but ${referenceOnly.length === 1 ? 'does' : 'do'} not hold its chunks yet (still fetching them, or hydrate: 'lazy' there, which fetches only on demand)`;
        this.#settle(wait, new StatemeshError('TIMEOUT', `${PREFIX}write ${version.origin}#${version.seq} was acknowledged by ${wait.acked.size} of the ${peers === 'all' ? 'all' : peers} peers asked for within ${timeoutMs} ms${chunks}; start more nodes, check the links, or wait longer`, { details: { acknowledged: [...wait.acked], referenceOnly, peers, timeoutMs } }));
      }, timeoutMs);
      const wait: Wait = { version, peers, acked: new Set(), referenceOnly: new Set(), resolve, reject, timer };
      this.#waits.add(wait);
      this.#check(wait);
      this.#schedule();
    });
  }

  /** Every wait left rejects with `error`; no timer is left. */
  close(error: Error): void {
    for (const wait of this.#waits) this.#settle(wait, error);
    if (this.#poll !== undefined) this.#timers.clearTimeout(this.#poll);
    this.#poll = undefined;
  }

  #schedule(): void {
    if (this.#poll !== undefined || this.#waits.size === 0) return;
    this.#poll = this.#timers.setTimeout(() => {
      this.#poll = undefined;
      for (const wait of this.#waits) this.#check(wait);
      this.#schedule();
    }, POLL_MS);
  }

  #check(wait: Wait): void {
    const known = this.#peers().filter((peer) => peer.state !== 'dead');
    const { origin, seq } = wait.version;
    const digest = this.#chunksWaitedFor(wait.version);
    for (const peer of known) {
      if ((peer.acknowledged?.[origin] ?? 0) < seq) continue;
      if (digest === undefined || this.#held.get(peer.node)?.has(digest) === true) wait.acked.add(peer.node);
      else wait.referenceOnly.add(peer.node);
    }
    const enough = wait.peers === 'all' ? known.length > 0 && known.every((peer) => wait.acked.has(peer.node)) : wait.acked.size >= wait.peers;
    if (enough) this.#settle(wait, undefined);
  }

  /** The digest whose chunks the peers must hold for `version` to be replicated there, if it is a large write still current. */
  #chunksWaitedFor(version: Version): string | undefined {
    if (version.origin !== this.#origin()) return undefined;
    const large = this.#largeWrites.get(version.seq);
    if (large === undefined) return undefined;
    // Superseded here (deleted, or a newer write at its path): its chunks are no longer the value.
    const current = this.#versionAt(large.path);
    if (current === undefined || typeof version.hlc !== 'bigint' || compareVersions(current, version) > 0) return undefined;
    return large.digest;
  }

  #settle(wait: Wait, error: Error | undefined): void {
    if (!this.#waits.delete(wait)) return;
    this.#timers.clearTimeout(wait.timer);
    if (error === undefined) wait.resolve();
    else wait.reject(error);
  }
}
