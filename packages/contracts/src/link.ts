import type { ErrorCode, StatemeshError } from './error.js';

/**
 * One frame as a link carries it: its kind (the frame kind numbers of `@statemesh/wire`: 1 Hello, 2 MutationBatch,
 * ...), the protocol version it is encoded at, and its protobuf body. A link never looks inside the body: how the
 * kind and version travel (a 12-byte header on a socket, the field number of a gRPC Envelope) is the link's
 * business, and a relay can forward a received body as it came.
 */
export interface LinkFrame {
  readonly kind: number;
  readonly version: number;
  readonly body: Uint8Array;
}

/** What a link reports to the protocol engine that owns it. */
export interface LinkEvents {
  /** One whole frame arrived. Frames arrive in the order the other side sent them. */
  frame(frame: LinkFrame): void;
  /** The bytes queued for sending fell back below the high-water mark after a `send` returned false. */
  drain(): void;
  /**
   * The link is closed (by either side, or by a failure); no event follows. `error` is set when the other side
   * sent bytes the link could not frame (bad magic, a frame over `maxFrameBytes`, a truncated stream).
   */
  closed(reason: string, error?: StatemeshError): void;
}

/**
 * A bidirectional channel of frames between two endpoints, with back-pressure: the whole of what a transport
 * package provides to the protocol engine (`@statemesh/protocol`). It knows nothing of Hello, peers or the tree.
 */
export interface Link {
  /** Where the other end is, as a person would write it (socket path, `tcp://host:port`, `memory://a`). */
  readonly remoteAddress: string;
  /** True on the side that dialled. */
  readonly dialed: boolean;
  /**
   * Node ids the link itself has proven for the other end (the names of a verified client or server
   * certificate); undefined when the link proves nothing. The engine refuses a Hello whose node id is not one of them.
   */
  readonly authenticatedIds?: readonly string[] | undefined;
  /**
   * Largest frame body accepted from the other side; a longer frame closes the link with `FRAME_TOO_LARGE`
   * before its body is buffered. The engine holds it at 64 KiB until the Hello, then raises it. A link that
   * cannot carry frames that large (gRPC messages) keeps it at its own limit when set higher; reading it back
   * gives the limit in force, by which the engine also splits what it sends on this link.
   */
  maxFrameBytes: number;
  /** Bytes queued for sending and not yet taken by the other side (or the kernel). */
  readonly bufferedBytes: number;
  /** Starts delivering events. Frames that arrived earlier are delivered first, in order. Called once. */
  open(events: LinkEvents): void;
  /**
   * Queues one frame. Returns false once queued bytes pass the link's high-water mark (the frame is still
   * queued; `drain` follows). Sending on a closed link is a no-op that returns false.
   */
  send(frame: LinkFrame): boolean;
  /**
   * Sends what is queued, then closes; closes at once after `graceMs` whatever is left. Idempotent. `code` says
   * the engine refused the other side (`CLUSTER_MISMATCH`, `VERSION_MISMATCH`, `UNAUTHENTICATED`...): a link that
   * can carry it tells the other side (a gRPC status, a WebSocket close code); others ignore it, the Goodbye says it.
   */
  end(reason: string, graceMs?: number, code?: ErrorCode): void;
  /** Closes at once, dropping what is queued. Idempotent. `code`: why, as for {@link Link.end}. */
  destroy(reason: string, code?: ErrorCode): void;
}

/** Accepts links at an address. */
export interface Listener {
  /** The address it listens on, with the real port once started (`tcp://127.0.0.1:0` becomes `...:43121`). */
  readonly address: string;
  /** Starts listening; every accepted link is handed to `accept`. Rejects with `IO_ERROR` when it cannot bind. */
  start(accept: (link: Link) => void): Promise<void>;
  /** Stops accepting; links already accepted are left to their owner. Idempotent. */
  close(): Promise<void>;
  /**
   * Connections this listener refused itself, before a link existed (a missing or wrong token, a bad client
   * certificate), since it started; the engine adds them to its `stats().authFailures`. Absent: it refuses none.
   */
  readonly authFailures?: number | undefined;
}

/** Opens links to one address (a seed). The engine redials with backoff; a dialer never retries by itself. */
export interface Dialer {
  /** The address it dials, as configured. */
  readonly address: string;
  /** Opens one link. Rejects (`IO_ERROR`, `UNAUTHENTICATED`, ...) when the other side cannot be reached. */
  dial(signal?: AbortSignal): Promise<Link>;
}
