import type { MemoryFrame } from './memory-frame.js';
import type { Scheduler } from './scheduler.js';
import type { SeededRandom } from './seeded-random.js';

/** How the network reaches a started transport (internal). */
export interface NetworkEndpoint {
  /** A node dialed this one: connection `connId` from `from` now exists. */
  accept(connId: number, from: string): void;
  /** A frame arrived from `from` on connection `connId`. */
  receive(from: string, connId: number, frame: MemoryFrame): void;
  /** The id of the open connection to `peer`, if any. */
  connectionTo(peer: string): number | undefined;
}

/** What a memory transport uses of its network (internal: the network's public surface stays small). */
export interface NetworkPort {
  readonly scheduler: Scheduler;
  readonly random: SeededRandom;
  log(line: string): void;
  /** Makes `node` reachable through `endpoint`. */
  listen(node: string, endpoint: NetworkEndpoint): void;
  /** Opens a connection from `from` to `to`: its id, or undefined when `to` is not listening or unreachable. */
  dial(from: string, to: string): number | undefined;
  /** Sends a frame on connection `connId`; the network clones it and applies faults. */
  send(from: string, to: string, connId: number, frame: MemoryFrame): void;
  /** Frees `node`: it no longer listens and its id may be used by a new transport. */
  release(node: string): void;
}
