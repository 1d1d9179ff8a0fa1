import type { CheckedEntry, CheckedMutation } from './checked-mutation.js';
import type { Mutation } from './mutation.js';
import type { VersionVector } from './version.js';

/** Liveness of a peer, per DESIGN.md: silent for 3 heartbeat intervals is `suspect`, 5 is `dead`. */
export type PeerState = 'connecting' | 'up' | 'suspect' | 'dead';

/** What a transport knows about one peer. */
export interface PeerInfo {
  /** The peer's node id (from its Hello). */
  readonly node: string;
  readonly state: PeerState;
  /** Milliseconds since anything was last received from this peer. */
  readonly lastSeenMs: number;
  /** Protocol version negotiated with this peer. */
  readonly protocolVersion: number;
  /** Address as the transport sees it (socket path, host:port, in-memory name). */
  readonly address?: string | undefined;
  /** The peer's vector as it last acknowledged it (its Hello's, then each `Ack`): what it is known to have applied. */
  readonly acknowledged?: VersionVector | undefined;
  /** The peer's wall clock minus ours, from its latest heartbeat (transit time included); undefined before one. */
  readonly clockSkewMs?: number | undefined;
  /** The peers this peer announced it is linked to, up, in its latest heartbeat (by id); undefined: it announces none. */
  readonly links?: readonly string[] | undefined;
  /** How many up peers it announced having, when more than `links` lists. */
  readonly linkCount?: number | undefined;
}

/** What a node announces in its Hello, besides its id and protocol range. */
export interface HelloInfo {
  /** The sender's version vector: the other side sends what this vector lacks. */
  readonly vector: VersionVector;
  /** Prefixes the sender replicates; empty means everything. */
  readonly interests?: readonly string[] | undefined;
  /** Optional features the sender supports (`zstd`, ...). */
  readonly capabilities?: readonly string[] | undefined;
}

/** A change in a peer's liveness. `up` carries the peer's Hello. */
export type PeerEvent =
  | { readonly type: 'up'; readonly peer: string; readonly hello: HelloInfo }
  | { readonly type: 'suspect'; readonly peer: string }
  | { readonly type: 'down'; readonly peer: string; readonly reason: string };

/** A peer's request for entries: everything under `prefixes` newer than `vector` (absent: everything). */
export interface SnapshotRequest {
  /** Prefixes to include; empty means the whole tree. */
  readonly prefixes: readonly string[];
  /** Send only what a node at this vector lacks (catch-up); absent for a full snapshot. */
  readonly vector?: VersionVector | undefined;
  /** Entries per page (a hint; senders also bound pages by bytes). */
  readonly pageSize?: number | undefined;
}

/** One page of a snapshot or catch-up. */
export interface SnapshotPage {
  readonly entries: readonly CheckedEntry[];
  /** True on the final page. */
  readonly last: boolean;
  /** On the final page: the sender's vector when the snapshot was taken; the receiver raises its own to it. */
  readonly vector?: VersionVector | undefined;
}

/**
 * What a transport calls back into: the node that owns it (the session). A transport moves frames and reports
 * peers; everything it knows of the tree comes through this interface.
 */
export interface TransportHost {
  /** The Hello to announce, read each time a connection opens. */
  hello(): HelloInfo;
  /**
   * This node's version vector now; a transport that has it acknowledges to its peers what this node applied
   * (the `Ack` frame) whenever it changed. Optional: without it, no acknowledgements are sent.
   */
  appliedVector?(): VersionVector;
  /**
   * The large values (`BlobRef.digest`) this node stored whole (manifest and every chunk) after `mark` (a count
   * that only grows; 0: all it still remembers), at most `max`, and the mark of the last one listed. A transport
   * that has it lists them in its next `Ack` to each peer. Optional.
   */
  heldBlobs?(mark: number, max: number): { readonly mark: number; readonly digests: readonly string[] };
  /** `from` says it stored these large values whole (its `Ack`): `replicated:N` of a large value waits for it. Optional. */
  onBlobsHeld?(digests: readonly string[], from: string): void;
  /** Mutations arrived from `from`. Called in the order that peer sent them. */
  onMutations(batch: readonly CheckedMutation[], from: string): void;
  /** A peer came up, became suspect, or went down. */
  onPeerEvent(event: PeerEvent): void;
  /** The bytes of a chunk a peer asked for, or undefined when this node does not hold it. */
  readChunk(digest: string): Promise<Uint8Array | undefined>;
  /** The pages that answer a peer's snapshot or catch-up request. */
  snapshot(request: SnapshotRequest): AsyncIterable<SnapshotPage>;
}

/** Options for {@link Transport.fetchChunk}. */
export interface FetchChunkOptions {
  /** Ask only this peer; absent: ask every up peer in turn until one has it. */
  readonly peer?: string | undefined;
  /** Give up with `TIMEOUT` after this long (default 10 000 ms). */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Counters every transport keeps. */
export interface TransportStats {
  /** Mutations handed to `publish`, counted once per peer they were queued to. */
  readonly published: number;
  /** Mutations received from peers and handed to the host. */
  readonly delivered: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Frames that failed to decode; each closed its connection. */
  readonly badFrames: number;
  /** Frames of a kind this version does not know, skipped. */
  readonly unknownFrames: number;
  /** Connections refused or closed for failing authentication. */
  readonly authFailures: number;
  /** Peers disconnected because they could not keep up (their send buffer passed its high-water mark). */
  readonly slowPeerDisconnects: number;
}

/**
 * Moves replication frames between nodes of one cluster. Implementations: `@statemesh/transport-memory`,
 * `@statemesh/transport-ipc`, `@statemesh/transport-grpc`; all pass `runTransportConformance` from
 * `@statemesh/contracts/testing`.
 */
export interface Transport {
  readonly nodeId: string;
  readonly clusterId: string;
  /** Listens (where configured), connects to seeds, and keeps reconnecting until `close()`. */
  start(host: TransportHost): Promise<void>;
  /**
   * Queues mutations for every up peer (or only `to`), except `except`; returns how many peers it was queued to.
   * Never blocks: a peer that cannot keep up is disconnected and catches up when it reconnects.
   */
  publish(batch: readonly Mutation[], options?: { readonly to?: string; readonly except?: string }): number;
  /** Known peers and their states. */
  peers(): PeerInfo[];
  /** Fetches a chunk by digest from peers. Rejects with `CHUNK_NOT_FOUND`, `NO_PEERS` or `TIMEOUT`. */
  fetchChunk(digest: string, options?: FetchChunkOptions): Promise<Uint8Array>;
  /** Asks `peer` for a snapshot or catch-up; yields its pages in order. */
  requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage>;
  stats(): TransportStats;
  /** Says goodbye to peers, closes every socket and timer; idempotent. */
  close(): Promise<void>;
}

/** What the hydrator needs to fetch chunks: the subset of {@link Transport} it uses. */
export type ChunkSource = Pick<Transport, 'peers' | 'fetchChunk'>;
