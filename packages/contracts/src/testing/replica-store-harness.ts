import type { Durability, ReplicaStore } from '../replica-store.js';

/**
 * What a `ReplicaStore` implementation gives {@link runReplicaStoreConformance}: where stores live (a `place`: a
 * directory, a virtual disk) and how to damage one the way a crash or a bad disk would.
 */
export interface ReplicaStoreHarness<Place = unknown> {
  /** Names the describe block (`store-fs`, `store-fs memory disk`...). */
  readonly name: string;
  /** A new, empty place for one store. */
  place(): Promise<Place> | Place;
  /** A store over `place`, not opened. The suite may create several over one place in turn (restarts). */
  create(place: Place, options: { readonly durability: Durability }): ReplicaStore;
  /**
   * The process dies now: `store` is abandoned without `close` (its handles released, nothing more written).
   * Whatever a resolved `commit` covered must survive; the rest may be lost.
   */
  crash(store: ReplicaStore, place: Place): Promise<void> | void;
  /** Byte length of the log file the store is appending to. */
  logLength(place: Place): Promise<number> | number;
  /** Cuts that log file to `length` bytes (a torn tail). */
  truncateLog(place: Place, length: number): Promise<void> | void;
  /** Inverts the byte at `offset` of that log file (a corrupted record). */
  flipLogByte(place: Place, offset: number): Promise<void> | void;
  /** Removes the place and everything in it. */
  remove(place: Place): Promise<void> | void;
}
