import { StatemeshError, assertId, type Dialer, type Link, type Listener, type Timers } from '@statemesh/contracts';
import { resolveLinkFaults, type LinkFaults, type ResolvedLinkFaults } from './link-faults.js';
import { MemoryLink, type LinkCarrier } from './memory-link.js';
import { ProtocolTransport, SeededRandom, TimerHeap, realTimers, type ProtocolTransportOptions } from '@statemesh/protocol';

/** Options for {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Seed of the fault injection (and of {@link MemoryNetwork.random}): the same seed gives the same run (default 1). */
  readonly seed?: number;
  /** Faults on every link (default none). */
  readonly faults?: LinkFaults;
  /** Clock and timers (default real timers); pass a {@link VirtualScheduler} to run on virtual time. */
  readonly scheduler?: Timers;
  /** Bytes queued on a link end past which `send` returns false until `drain` (default 1 MiB). */
  readonly highWaterMarkBytes?: number;
}

/** What the network did to frames so far. */
export interface NetworkFaultStats {
  /** Frames handed to receivers (duplicates counted each time). */
  readonly delivered: number;
  /** Mutation batches dropped by the `drop` fault. */
  readonly dropped: number;
  /** Mutation batches delivered twice by the `duplicate` fault. */
  readonly duplicated: number;
  /** Mutation batches held back by the `reorder` fault. */
  readonly reordered: number;
  /** Frames lost to a partition (sent across it, or in flight when it began). */
  readonly partitioned: number;
  /** Links cut by {@link MemoryNetwork.crash}. */
  readonly crashedLinks: number;
}

/** Options of {@link MemoryNetwork.createTransport}: the engine's, with the node ids to dial. */
export interface MemoryTransportOptions extends Omit<ProtocolTransportOptions, 'listeners' | 'dialers'> {
  /** Node ids of this network to dial, and to redial with backoff whenever the link is lost. */
  readonly seeds?: readonly string[] | undefined;
}

const MUTATION_BATCH_KIND = 2;

/**
 * An in-process network of links between named nodes: listeners and dialers for `@statemesh/protocol`'s engine.
 * Frames travel as IPC-framed bytes, leaving in (time, send order) on the network's timers, and faults (drop,
 * delay, duplicate, reorder, partitions, crashes) are drawn from a seeded generator.
 */
export class MemoryNetwork {
  /** The seed this network's faults are drawn from. */
  readonly seed: number;
  /** The clock and timers everything on this network runs on. */
  readonly scheduler: Timers;
  /** The network's seeded generator; engines on it may take `() => network.random.next()` for their jitter. */
  readonly random: SeededRandom;
  #faults: ResolvedLinkFaults;
  readonly #highWaterMarkBytes: number;
  /** Faults of one direction, by `from` NUL `to`. */
  readonly #linkFaults = new Map<string, ResolvedLinkFaults>();
  /** Partitions and isolations: each says whether it separates two nodes. */
  readonly #cuts: Array<(a: string, b: string) => boolean> = [];
  readonly #listening = new Map<string, (link: Link) => void>();
  readonly #links = new Set<MemoryLink>();
  /** Frames in flight in (time, send order); each has a timer, and whichever fires takes the earliest. */
  readonly #inFlight = new TimerHeap();
  /** Per link end, when its latest in-order frame arrives: later ones arrive after it, as on a stream. */
  readonly #lastAt = new Map<MemoryLink, number>();
  readonly #stats = { delivered: 0, dropped: 0, duplicated: 0, reordered: 0, partitioned: 0, crashedLinks: 0 };
  readonly #carrier: LinkCarrier;

  /** A network with no nodes yet. */
  constructor(options: MemoryNetworkOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new StatemeshError('INVALID_CONFIG', `@statemesh/transport-memory: seed is ${seed}; pass an integer`);
    this.seed = seed;
    this.scheduler = options.scheduler ?? realTimers;
    this.random = new SeededRandom(seed);
    this.#faults = resolveLinkFaults(options.faults ?? {});
    this.#highWaterMarkBytes = options.highWaterMarkBytes ?? 1024 * 1024;
    this.#carrier = { timers: this.scheduler, carry: (link, bytes, kind) => this.#carry(link, bytes, kind), forget: (link) => this.#forget(link) };
  }

  /** A listener for node `node` at `memory://<node>`: dialers to that node reach it while it is started. */
  listener(node: string): Listener {
    assertId(node, 'node');
    let mine: ((link: Link) => void) | undefined;
    return {
      address: `memory://${node}`,
      start: (accept) => {
        if (this.#listening.has(node)) {
          return Promise.reject(new StatemeshError('IO_ERROR', `@statemesh/transport-memory: memory://${node} is already listening; close its listener first or pick another node id`));
        }
        this.#listening.set(node, (mine = (link) => accept(link)));
        return Promise.resolve();
      },
      close: () => {
        if (mine !== undefined && this.#listening.get(node) === mine) this.#listening.delete(node);
        mine = undefined;
        return Promise.resolve();
      },
    };
  }

  /** A dialer from node `from` to node `to`: fails with `PEER_UNAVAILABLE` while `to` does not listen or is cut off. */
  dialer(from: string, to: string): Dialer {
    assertId(from, 'from');
    assertId(to, 'to');
    const end = (local: string, remote: string, dialed: boolean) => new MemoryLink(this.#carrier, { local, remote, dialed, highWaterMarkBytes: this.#highWaterMarkBytes });
    return {
      address: `memory://${to}`,
      dial: (signal) => {
        if (signal?.aborted === true) return Promise.reject(new StatemeshError('CANCELLED', `@statemesh/transport-memory: dialling memory://${to} was cancelled`));
        const accept = this.#listening.get(to);
        if (accept === undefined || !this.reachable(from, to)) {
          return Promise.reject(new StatemeshError('PEER_UNAVAILABLE', `@statemesh/transport-memory: memory://${to} ${accept === undefined ? 'is not listening' : `cannot be reached from ${from} (partition)`}`));
        }
        const near = end(from, to, true);
        const far = end(to, from, false);
        near.peer = far;
        far.peer = near;
        this.#links.add(near).add(far);
        accept(far);
        return Promise.resolve(near);
      },
    };
  }

  /**
   * The protocol engine for node `nodeId` on this network (not started): listening at `memory://<nodeId>`, dialling
   * `seeds`, on the network's timers and seeded random numbers unless told otherwise.
   */
  createTransport(options: MemoryTransportOptions): ProtocolTransport {
    const { seeds, ...engine } = options;
    return new ProtocolTransport({
      timers: this.scheduler,
      random: () => this.random.next(),
      ...engine,
      listeners: [this.listener(options.nodeId)],
      dialers: (seeds ?? []).map((seed) => this.dialer(options.nodeId, seed)),
    });
  }

  /** Replaces the faults of every link that has none of its own. */
  setFaults(faults: LinkFaults): void {
    this.#faults = resolveLinkFaults(faults);
  }

  /** Sets the faults from node `from` to node `to` (one direction); `undefined` returns it to the default. */
  setLinkFaults(from: string, to: string, faults: LinkFaults | undefined): void {
    if (faults === undefined) this.#linkFaults.delete(`${from}\u0000${to}`);
    else this.#linkFaults.set(`${from}\u0000${to}`, resolveLinkFaults(faults, this.#faults));
  }

  /** Cuts every link between a node of `groupA` and a node of `groupB`, both ways, until {@link heal}. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    const [left, right] = [new Set(groupA), new Set(groupB)];
    this.#cuts.push((a, b) => (left.has(a) && right.has(b)) || (left.has(b) && right.has(a)));
  }

  /** Cuts `node` from every other node until {@link heal}: it goes silent, its links stay open. */
  isolate(node: string): void {
    this.#cuts.push((a, b) => a === node || b === node);
  }

  /** Removes every partition and isolation. */
  heal(): void {
    this.#cuts.length = 0;
  }

  /** True when frames can go between `a` and `b`. */
  reachable(a: string, b: string): boolean {
    return a === b || !this.#cuts.some((cut) => cut(a, b));
  }

  /** A crash of `node`: every link it has is cut at once, both ends closed, what was in flight lost; it stops listening. */
  crash(node: string): void {
    this.#listening.delete(node);
    for (const link of this.#links) {
      if (link.local !== node || link.isClosed) continue;
      this.#stats.crashedLinks++;
      link.close(`node ${node} crashed`, undefined, true);
      link.peer.close(`node ${node} crashed`, undefined, true);
    }
  }

  /** For tests: delivers `bytes` (raw, unframed by the sender) on the open link from `from` to `to`, if any. */
  inject(from: string, to: string, bytes: Uint8Array): boolean {
    const link = [...this.#links].find((l) => l.local === from && l.remote === to && !l.isClosed);
    if (link !== undefined) this.#deliverAt(this.scheduler.now(), () => link.peer.receive(bytes));
    return link !== undefined;
  }

  /** What the fault injection did so far. */
  faultStats(): NetworkFaultStats {
    return { ...this.#stats };
  }

  #carry(link: MemoryLink, bytes: Uint8Array | 'close', kind: number): void {
    const size = bytes === 'close' ? 0 : bytes.byteLength;
    const faults = this.#linkFaults.get(`${link.local}\u0000${link.remote}`) ?? this.#faults;
    const batch = kind === MUTATION_BATCH_KIND;
    const random = this.random;
    const lost = !this.reachable(link.local, link.remote) ? 'partitioned' : batch && random.chance(faults.drop) ? 'dropped' : undefined;
    if (lost !== undefined) {
      this.#stats[lost]++;
      link.taken(size);
      return;
    }
    const copies = batch && random.chance(faults.duplicate) ? 2 : 1;
    const reordered = batch && random.chance(faults.reorder);
    let at = this.scheduler.now() + random.between(...faults.delayMs);
    if (copies === 2) this.#stats.duplicated++;
    if (reordered) {
      this.#stats.reordered++;
      at += random.between(0, faults.reorderWindowMs);
    } else {
      at = Math.max(at, this.#lastAt.get(link) ?? at);
      this.#lastAt.set(link, at);
    }
    for (let copy = 0; copy < copies; copy++) {
      this.#deliverAt(at, () => {
        if (copy === 0) link.taken(size);
        if (link.isReset) return; // what a reset or crashed end had in flight is lost
        if (!this.reachable(link.local, link.remote)) this.#stats.partitioned++;
        else if (bytes === 'close') link.peer.ended();
        else {
          this.#stats.delivered++;
          link.peer.receive(bytes);
        }
      });
    }
  }

  /**
   * Runs `deliver` at `at`. One timer per frame, and each takes the earliest frame in flight: on virtual time that
   * is its own; on real timers, which may fire a longer and a shorter delay due together in either order, it keeps
   * the (time, send order) a stream needs.
   */
  #deliverAt(at: number, deliver: () => void): void {
    this.#inFlight.push(at, deliver);
    this.scheduler.setTimeout(() => this.#inFlight.pop()?.run(), at - this.scheduler.now());
  }

  #forget(link: MemoryLink): void {
    this.#links.delete(link);
    this.#lastAt.delete(link);
  }
}
