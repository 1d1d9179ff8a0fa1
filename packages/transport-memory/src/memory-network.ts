// Size: this package is ~360 code lines, above the ~300 of a link factory, because besides its links it is the
// simulator's network: seeded fault injection (drop, delay, duplicate, reorder, partition, crash) in
// link-faults.ts, with its own delivery queue in (time, send order). Virtual time and the seeded generator are
// @statemesh/protocol's. No protocol logic is here: the engine, codec and framing are the shipped ones.
import { StatemeshError, assertId, type Dialer, type Link, type Listener, type TimerHandle, type Timers } from '@statemesh/contracts';
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
 * Frames travel as IPC-framed bytes through one deterministic queue on the network's timers, and faults (drop,
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
  readonly #linkFaults = new Map<string, ResolvedLinkFaults>();
  readonly #cuts: Array<readonly [ReadonlySet<string>, ReadonlySet<string>]> = [];
  readonly #isolated = new Set<string>();
  readonly #listening = new Map<string, (link: Link) => void>();
  readonly #links = new Set<MemoryLink>();
  readonly #queue = new TimerHeap();
  readonly #lastAt = new Map<MemoryLink, number>();
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
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
        mine = (link) => accept(link);
        this.#listening.set(node, mine);
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
    return {
      address: `memory://${to}`,
      dial: (signal) => {
        if (signal?.aborted === true) return Promise.reject(new StatemeshError('CANCELLED', `@statemesh/transport-memory: dialling memory://${to} was cancelled`));
        const accept = this.#listening.get(to);
        if (accept === undefined || !this.reachable(from, to)) {
          return Promise.reject(new StatemeshError('PEER_UNAVAILABLE', `@statemesh/transport-memory: memory://${to} ${accept === undefined ? 'is not listening' : `cannot be reached from ${from} (partition)`}`));
        }
        const hwm = this.#highWaterMarkBytes;
        const near = new MemoryLink(this.#carrier, { local: from, remote: to, dialed: true, highWaterMarkBytes: hwm });
        const far = new MemoryLink(this.#carrier, { local: to, remote: from, dialed: false, highWaterMarkBytes: hwm });
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
    this.#cuts.push([new Set(groupA), new Set(groupB)]);
  }

  /** Cuts `node` from every other node until {@link heal}: it goes silent, its links stay open. */
  isolate(node: string): void {
    this.#isolated.add(node);
  }

  /** Removes every partition and isolation. */
  heal(): void {
    this.#cuts.length = 0;
    this.#isolated.clear();
  }

  /** True when frames can go between `a` and `b`. */
  reachable(a: string, b: string): boolean {
    if (a === b) return true;
    if (this.#isolated.has(a) || this.#isolated.has(b)) return false;
    return !this.#cuts.some(([left, right]) => (left.has(a) && right.has(b)) || (left.has(b) && right.has(a)));
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
    if (link === undefined) return false;
    this.#queue.push(this.scheduler.now(), () => link.peer.receive(bytes));
    this.#arm();
    return true;
  }

  /** What the fault injection did so far. */
  faultStats(): NetworkFaultStats {
    return { ...this.#stats };
  }

  #carry(link: MemoryLink, bytes: Uint8Array | 'close', kind: number): void {
    const size = bytes === 'close' ? 0 : bytes.byteLength;
    if (!this.reachable(link.local, link.remote)) {
      this.#stats.partitioned++;
      link.taken(size);
      return;
    }
    const faults = this.#linkFaults.get(`${link.local}\u0000${link.remote}`) ?? this.#faults;
    const random = this.random;
    let copies = 1;
    let reordered = false;
    if (kind === MUTATION_BATCH_KIND) {
      if (random.chance(faults.drop)) {
        this.#stats.dropped++;
        link.taken(size);
        return;
      }
      if (random.chance(faults.duplicate)) {
        copies = 2;
        this.#stats.duplicated++;
      }
      reordered = random.chance(faults.reorder);
    }
    let at = this.scheduler.now() + random.between(faults.delayMin, faults.delayMax);
    if (reordered) {
      this.#stats.reordered++;
      at += random.between(0, faults.reorderWindowMs);
    } else {
      // In order with what was sent before on this link, as on a stream, unless a fault says otherwise.
      at = Math.max(at, this.#lastAt.get(link) ?? at);
      this.#lastAt.set(link, at);
    }
    for (let copy = 0; copy < copies; copy++) {
      this.#queue.push(at, () => {
        if (copy === 0) link.taken(size);
        if (link.isReset) return; // what a reset or crashed end had in flight is lost
        if (!this.reachable(link.local, link.remote)) {
          this.#stats.partitioned++;
          return;
        }
        if (bytes === 'close') {
          link.peer.ended();
          return;
        }
        this.#stats.delivered++;
        link.peer.receive(bytes);
      });
    }
    this.#arm();
  }

  #forget(link: MemoryLink): void {
    this.#links.delete(link);
    this.#lastAt.delete(link);
  }

  #arm(): void {
    const next = this.#queue.peek();
    const at = next?.at ?? Infinity;
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) this.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (next !== undefined) this.#timer = this.scheduler.setTimeout(() => this.#fire(), Math.max(0, at - this.scheduler.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.scheduler.now();
    for (let next = this.#queue.peek(); next !== undefined && next.at <= now; next = this.#queue.peek()) {
      this.#queue.pop();
      next.run();
    }
    this.#arm();
  }
}
