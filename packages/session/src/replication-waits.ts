import { StatemeshError } from '@statemesh/contracts';
import type { PeerInfo, TimerHandle, Timers, Version } from '@statemesh/contracts';

/** Options of `Session.replicated`. */
export interface ReplicatedOptions {
  /** How many other nodes must have acknowledged the write (`'all'`: every peer known now, at least one). Default 1. */
  readonly peers?: number | 'all' | undefined;
  /** Reject with `TIMEOUT` after this long (default 10 000). */
  readonly timeoutMs?: number | undefined;
}

interface Wait {
  readonly version: Version;
  readonly peers: number | 'all';
  /** Peers that acknowledged the write (kept when they go down afterwards: they held it). */
  readonly acked: Set<string>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle;
}

const PREFIX = '@statemesh/session: ';
/** How often the peers' acknowledged vectors are looked at while someone waits. */
const POLL_MS = 10;

/**
 * Waits for writes to be acknowledged by other nodes: a peer acknowledges a write when the vector of its last
 * `Ack` frame covers it (with a `dataDir`, a node acknowledges only what is on its disk). Polls the transport's
 * peers on the session's timers while anyone waits.
 */
export class ReplicationWaits {
  readonly #timers: Timers;
  readonly #peers: () => readonly PeerInfo[];
  readonly #waits = new Set<Wait>();
  #poll: TimerHandle | undefined;

  constructor(timers: Timers, peers: () => readonly PeerInfo[]) {
    this.#timers = timers;
    this.#peers = peers;
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
        this.#settle(wait, new StatemeshError('TIMEOUT', `${PREFIX}write ${version.origin}#${version.seq} was acknowledged by ${wait.acked.size} of the ${peers === 'all' ? 'all' : peers} peers asked for within ${timeoutMs} ms; start more nodes, check the links, or wait longer`, { details: { acknowledged: [...wait.acked], peers, timeoutMs } }));
      }, timeoutMs);
      const wait: Wait = { version, peers, acked: new Set(), resolve, reject, timer };
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
    for (const peer of known) if ((peer.acknowledged?.[origin] ?? 0) >= seq) wait.acked.add(peer.node);
    const enough = wait.peers === 'all' ? known.length > 0 && known.every((peer) => wait.acked.has(peer.node)) : wait.acked.size >= wait.peers;
    if (enough) this.#settle(wait, undefined);
  }

  #settle(wait: Wait, error: Error | undefined): void {
    if (!this.#waits.delete(wait)) return;
    this.#timers.clearTimeout(wait.timer);
    if (error === undefined) wait.resolve();
    else wait.reject(error);
  }
}
