import type { CheckedEntry, CheckedMutation, Entry, Mutation, VersionVector } from '@statemesh/contracts';

/** The protocol version this package speaks best; a connection runs at the highest version both sides speak. */
export const PROTOCOL_VERSION = 1;
/** The oldest protocol version this package still speaks. */
export const MIN_PROTOCOL_VERSION = 1;

/** Frame kinds: the `kind` field of the IPC header and the field number of the frame in `Envelope`. Frozen. */
export const FRAME_KIND = {
  hello: 1,
  mutations: 2,
  snapshotRequest: 3,
  snapshotPage: 4,
  chunkRequest: 5,
  chunkResponse: 6,
  heartbeat: 7,
  goodbye: 8,
  ack: 9,
} as const;

/** Sent first by both sides of every connection. */
export interface HelloFrame {
  kind: 'hello';
  node: string;
  cluster: string;
  minVersion: number;
  maxVersion: number;
  vector: VersionVector;
  interests: string[];
  capabilities: string[];
  /** The sender's heartbeat interval in ms (0: not announced); the receiver judges the sender's silence by it. */
  heartbeatIntervalMs?: number;
  /** Random per start of the sender (at most 64 characters): another one from the same node means it restarted. */
  instance?: string;
}

/**
 * A batch of mutations; when `compressed` is set, `mutations` is empty until {@link decompressMutations}. As the
 * decoder returns it, its mutations are checked (`CheckedMutation`); as an encoder takes it
 * (`MutationsFrame<Mutation>`, see {@link OutgoingFrame}), they are trusted.
 */
export interface MutationsFrame<M extends Mutation = CheckedMutation> {
  kind: 'mutations';
  mutations: M[];
  compressed?: { codec: string; rawSize: number; data: Uint8Array };
}

/** Asks for everything under `prefixes` newer than `vector` (absent: a full snapshot). */
export interface SnapshotRequestFrame {
  kind: 'snapshot-request';
  requestId: number;
  prefixes: string[];
  vector?: VersionVector;
  pageSize?: number;
}

/** One page of the answer to the snapshot request with the same `requestId`; its entries as {@link MutationsFrame}'s mutations. */
export interface SnapshotPageFrame<E extends Entry = CheckedEntry> {
  kind: 'snapshot-page';
  requestId: number;
  entries: E[];
  last: boolean;
  vector?: VersionVector;
  error?: string;
}

/** Asks for one blob (chunk or manifest) by SHA-256 digest. */
export interface ChunkRequestFrame {
  kind: 'chunk-request';
  requestId: number;
  digest: string;
}

/** The answer to the chunk request with the same `requestId`; `data` is empty when not `found`. */
export interface ChunkResponseFrame {
  kind: 'chunk-response';
  requestId: number;
  digest: string;
  found: boolean;
  data: Uint8Array;
}

/** Liveness, sent every heartbeat interval. */
export interface HeartbeatFrame {
  kind: 'heartbeat';
  node: string;
  sentAtMs: number;
  /**
   * The sender's up peers, the receiver among them, by id in ascending order, at most {@link MAX_HEARTBEAT_LINKS}:
   * the links of the cluster a node cannot see itself. Absent: the sender does not announce its links.
   */
  links?: string[];
  /** How many up peers the sender has, when more than `links` lists (absent: `links` is all of them). */
  linkCount?: number;
}

/** The most peer ids one `Heartbeat` may list in `links`. */
export const MAX_HEARTBEAT_LINKS = 64;

/** The sender is closing the connection on purpose. */
export interface GoodbyeFrame {
  kind: 'goodbye';
  reason: string;
  /** The error code of a refusal (`CLUSTER_MISMATCH`...); absent for an orderly close. */
  code?: string | undefined;
}

/** The receiver's version vector, sent when it changed: what it has applied, for peer lag and `replicated:N`. */
export interface AckFrame {
  kind: 'ack';
  vector: VersionVector;
  /**
   * Digests of large values (`BlobRef.digest`) whose manifest and every chunk the sender stored since its previous
   * Ack on this link (at most {@link MAX_ACK_HELD}): `replicated:N` of a large value counts a peer once it holds them.
   */
  held?: string[];
}

/** The most digests one `Ack` may carry in `held`. */
export const MAX_ACK_HELD = 1024;

/** A frame of a kind this version does not know (`code` is its kind number): skip it. */
export interface UnknownFrame {
  kind: 'unknown';
  code: number;
}

/** Every frame this protocol version defines. */
export type Frame =
  | HelloFrame
  | MutationsFrame
  | SnapshotRequestFrame
  | SnapshotPageFrame
  | ChunkRequestFrame
  | ChunkResponseFrame
  | HeartbeatFrame
  | GoodbyeFrame
  | AckFrame;

/**
 * A frame to encode. The mutations and entries it carries are not checked by the encoder: they were made by a
 * shard (checked at the local write) or decoded (checked by the decoder), and a peer's decoder checks them again
 * on the other side of the link, the one place a peer's bytes are trusted or refused.
 */
export type OutgoingFrame = Exclude<Frame, MutationsFrame | SnapshotPageFrame> | MutationsFrame<Mutation> | SnapshotPageFrame<Entry>;

/** The kind number of each frame's `kind` string. */
export const FRAME_KIND_OF: Readonly<Record<OutgoingFrame['kind'], number>> = {
  hello: FRAME_KIND.hello,
  mutations: FRAME_KIND.mutations,
  'snapshot-request': FRAME_KIND.snapshotRequest,
  'snapshot-page': FRAME_KIND.snapshotPage,
  'chunk-request': FRAME_KIND.chunkRequest,
  'chunk-response': FRAME_KIND.chunkResponse,
  heartbeat: FRAME_KIND.heartbeat,
  goodbye: FRAME_KIND.goodbye,
  ack: FRAME_KIND.ack,
};
