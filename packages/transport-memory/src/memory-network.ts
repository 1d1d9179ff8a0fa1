import { StatemeshError, assertId } from '@statemesh/contracts';
import { resolveLinkFaults } from './link-faults.js';
import type { LinkFaults, ResolvedLinkFaults } from './link-faults.js';
import type { MemoryFrame } from './memory-frame.js';
import { MemoryTransport } from './memory-transport.js';
import type { MemoryTransportOptions } from './memory-transport.js';
import type { NetworkEndpoint, NetworkPort } from './network-port.js';
import { realScheduler } from './scheduler.js';
import type { Scheduler, SchedulerTimer } from './scheduler.js';
import { SeededRandom } from './seeded-random.js';
import { TimerHeap } from './timer-heap.js';

/** Options for {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Seed of the fault injection and reconnect jitter: the same seed gives the same run (default 1). */
  readonly seed?: number;
  /** Faults on every link (default none). */
  readonly faults?: LinkFaults;
  /** Clock and timers (default real timers); pass a {@link VirtualScheduler} to run on virtual time. */
  readonly scheduler?: Scheduler;
  /** Where one-line reports of refused peers and failing hosts go (default `console.warn`). */
  readonly log?: (line: string) => void;
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
}

/**
 * An in-process network of memory transports: nodes find each other by node id, frames are cloned and
 * delivered asynchronously through one deterministic queue, and faults (drop, delay, duplicate, reorder,
 * partitions) are drawn from a seeded generator.
 */
export class MemoryNetwork {
  /** The seed this network's faults are drawn from. */
  readonly seed: number;
  /** The clock and timers everything on this network runs on. */
  readonly scheduler: Scheduler;
  readonly #random: SeededRandom;
  readonly #log: (line: string) => void;
  #faults: ResolvedLinkFaults;
  readonly #linkFaults = new Map<string, ResolvedLinkFaults>();
  readonly #cuts: Array<readonly [ReadonlySet<string>, ReadonlySet<string>]> = [];
  readonly #isolated = new Set<string>();
  readonly #nodes = new Set<string>();
  readonly #endpoints = new Map<string, NetworkEndpoint>();
  readonly #queue = new TimerHeap();
  readonly #lastAt = new Map<string, number>();
  #timer: SchedulerTimer | undefined;
  #timerAt = Infinity;
  #nextConnection = 1;
  readonly #stats = { delivered: 0, dropped: 0, duplicated: 0, reordered: 0, partitioned: 0 };
  readonly #port: NetworkPort;

  /** A network with no nodes yet. */
  constructor(options: MemoryNetworkOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) {
      throw new StatemeshError('INVALID_CONFIG', `@statemesh/transport-memory: seed is ${seed}; pass an integer`);
    }
    this.seed = seed;
    this.scheduler = options.scheduler ?? realScheduler;
    this.#random = new SeededRandom(seed);
    this.#log = options.log ?? ((line) => console.warn(line));
    this.#faults = resolveLinkFaults(options.faults ?? {});
    this.#port = {
      scheduler: this.scheduler,
      random: this.#random,
      log: (line) => this.#log(line),
      listen: (node, endpoint) => this.#endpoints.set(node, endpoint),
      dial: (from, to) => this.#dial(from, to),
      send: (from, to, connId, frame) => this.#send(from, to, connId, frame),
      release: (node) => this.#release(node),
    };
  }

  /**
   * A transport for `nodeId` on this network (not started). Its seeds are other node ids of this network. A node
   * id is free again once its transport is closed (a restart). Throws `INVALID_ID`, or `INVALID_ARGUMENT` when an
   * open transport already has that id.
   */
  createTransport(options: MemoryTransportOptions): MemoryTransport {
    assertId(options.nodeId, 'nodeId');
    assertId(options.clusterId, 'clusterId');
    if (this.#nodes.has(options.nodeId)) {
      throw new StatemeshError(
        'INVALID_ARGUMENT',
        `@statemesh/transport-memory: node id ${options.nodeId} is in use on this network; close its transport first or pick another id`,
      );
    }
    const transport = new MemoryTransport(options, this.#port);
    this.#nodes.add(options.nodeId);
    return transport;
  }

  /** Replaces the faults of every link that has none of its own. */
  setFaults(faults: LinkFaults): void {
    this.#faults = resolveLinkFaults(faults);
  }

  /** Sets the faults of the link from `from` to `to` (one direction); `undefined` returns it to the default. */
  setLinkFaults(from: string, to: string, faults: LinkFaults | undefined): void {
    if (faults === undefined) this.#linkFaults.delete(linkKey(from, to));
    else this.#linkFaults.set(linkKey(from, to), resolveLinkFaults(faults, this.#faults));
  }

  /** Cuts every link between a node of `groupA` and a node of `groupB`, both ways, until {@link heal}. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.#cuts.push([new Set(groupA), new Set(groupB)]);
  }

  /** Cuts `node` from every other node (present and future) until {@link heal}: it goes silent. */
  isolate(node: string): void {
    this.#isolated.add(node);
  }

  /** Removes every partition and isolation. */
  heal(): void {
    this.#cuts.length = 0;
    this.#isolated.clear();
  }

  /** True when frames can go between `a` and `b` (no partition or isolation between them). */
  reachable(a: string, b: string): boolean {
    if (this.#isolated.has(a) || this.#isolated.has(b)) return false;
    for (const [left, right] of this.#cuts) {
      if ((left.has(a) && right.has(b)) || (left.has(b) && right.has(a))) return false;
    }
    return true;
  }

  /**
   * For tests of forward compatibility: sends `from`'s connected peer `to` a frame of a kind it does not know
   * (numbered `code`), which it must skip and count. Does nothing when the two are not connected.
   */
  injectUnknownFrame(from: string, to: string, code = 99): void {
    const connId = this.#endpoints.get(from)?.connectionTo(to);
    if (connId !== undefined) this.#send(from, to, connId, { kind: 'unknown', code });
  }

  /** What the fault injection did so far. */
  faultStats(): NetworkFaultStats {
    return { ...this.#stats };
  }

  #dial(from: string, to: string): number | undefined {
    const endpoint = this.#endpoints.get(to);
    if (endpoint === undefined || from === to || !this.reachable(from, to)) return undefined;
    const connId = this.#nextConnection++;
    endpoint.accept(connId, from);
    return connId;
  }

  #send(from: string, to: string, connId: number, frame: MemoryFrame): void {
    if (!this.reachable(from, to)) {
      this.#stats.partitioned++;
      return;
    }
    const faults = this.#linkFaults.get(linkKey(from, to)) ?? this.#faults;
    const random = this.#random;
    let copies = 1;
    let reordered = false;
    if (frame.kind === 'mutations') {
      if (random.chance(faults.drop)) {
        this.#stats.dropped++;
        return;
      }
      if (random.chance(faults.duplicate)) {
        copies = 2;
        this.#stats.duplicated++;
      }
      reordered = random.chance(faults.reorder);
    }
    const now = this.scheduler.now();
    let at = now + random.between(faults.delayMin, faults.delayMax);
    const key = linkKey(from, to);
    if (reordered) {
      this.#stats.reordered++;
      at += random.between(0, faults.reorderWindowMs);
    } else {
      // In order with what was sent before on this link (a stream), unless a fault says otherwise.
      at = Math.max(at, this.#lastAt.get(key) ?? at);
      this.#lastAt.set(key, at);
    }
    for (let i = 0; i < copies; i++) {
      // Each receiver gets its own copy, taken now: the sender may reuse its objects at once.
      const copy = structuredClone(frame);
      this.#queue.push(at, () => this.#deliver(from, to, connId, copy));
    }
    this.#arm();
  }

  #deliver(from: string, to: string, connId: number, frame: MemoryFrame): void {
    if (!this.reachable(from, to)) {
      this.#stats.partitioned++;
      return;
    }
    const endpoint = this.#endpoints.get(to);
    if (endpoint === undefined) return;
    this.#stats.delivered++;
    endpoint.receive(from, connId, frame);
  }

  #release(node: string): void {
    this.#endpoints.delete(node);
    this.#nodes.delete(node);
    if (this.#endpoints.size === 0) {
      // Nobody left to deliver to: drop what is in flight so that no timer outlives the last transport.
      this.#queue.clear();
      this.#lastAt.clear();
      this.#arm();
    }
  }

  #arm(): void {
    const next = this.#queue.peek();
    const at = next?.at ?? Infinity;
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) this.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (next === undefined) return;
    this.#timer = this.scheduler.setTimeout(() => this.#fire(), Math.max(0, at - this.scheduler.now()));
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

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}
