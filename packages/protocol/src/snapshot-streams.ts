import { StatemeshError, type SnapshotPage, type SnapshotRequest, type TimerHandle, type Timers } from '@statemesh/contracts';
import type { SnapshotPageFrame, SnapshotRequestFrame } from '@statemesh/wire';
import { peerUnavailable } from './peer-unavailable.js';

/** What a {@link SnapshotStreams} needs from the transport that owns it; `C` is its connection (socket, stream). */
export interface SnapshotStreamsLinks<C> {
  /** The package name of the transport, which prefixes every error message. */
  readonly source: string;
  /** The active connection of every up peer, by node id (read, never changed). */
  readonly peers: ReadonlyMap<string, C>;
  /** The timers the page timeouts run on. */
  readonly timers: Timers;
  /** How long to wait for each page before failing with `TIMEOUT`. */
  readonly pageTimeoutMs: number;
  /** A fresh request id, unique among the transport's requests. */
  nextRequestId(): number;
  /** Queues `frame` on `connection`; false when the peer was dropped for not keeping up. */
  send(connection: C, frame: SnapshotRequestFrame): boolean;
}

interface PendingSnapshot<C> {
  readonly connection: C;
  page(page: SnapshotPage, error: string | undefined): void;
  fail(error: Error): void;
}

/**
 * The snapshot and catch-up requests of one transport, pending by request id: each yields its peer's pages in
 * order, fails with `TIMEOUT` when a page is late, `PEER_UNAVAILABLE` when the peer goes away and `INTERNAL` when
 * the peer could not produce it. Sockets, streams and framing stay in the transport.
 */
export class SnapshotStreams<C> {
  readonly #links: SnapshotStreamsLinks<C>;
  readonly #pending = new Map<number, PendingSnapshot<C>>();

  constructor(links: SnapshotStreamsLinks<C>) {
    this.#links = links;
  }

  /** Asks `peer` for a snapshot or catch-up and yields its pages in order, up to and including the last. */
  async *request(peer: string, request: SnapshotRequest): AsyncGenerator<SnapshotPage, void, undefined> {
    const { source, pageTimeoutMs } = this.#links;
    const connection = this.#links.peers.get(peer);
    if (connection === undefined) throw peerUnavailable(source, peer, 'it is not connected');
    const requestId = this.#links.nextRequestId();
    const queue: Array<{ page: SnapshotPage; error: string | undefined }> = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    this.#pending.set(requestId, {
      connection,
      page(page, error) {
        queue.push({ page, error });
        wake?.();
      },
      fail(error) {
        failure = error;
        wake?.();
      },
    });
    const frame: SnapshotRequestFrame = { kind: 'snapshot-request', requestId, prefixes: [...request.prefixes] };
    if (request.vector !== undefined) frame.vector = request.vector;
    if (request.pageSize !== undefined) frame.pageSize = request.pageSize;
    try {
      if (!this.#links.send(connection, frame)) throw peerUnavailable(source, peer, 'it was disconnected for not keeping up');
      for (;;) {
        if (queue.length === 0 && failure === undefined) {
          let timer: TimerHandle | undefined;
          const timedOut = await new Promise<boolean>((resolve) => {
            wake = () => resolve(false);
            timer = this.#links.timers.setTimeout(() => resolve(true), pageTimeoutMs);
          });
          wake = undefined;
          if (timer !== undefined) this.#links.timers.clearTimeout(timer);
          if (timedOut) {
            throw new StatemeshError('TIMEOUT', `${source}: peer ${peer} sent no snapshot page for ${pageTimeoutMs} ms; retry, or raise snapshotTimeoutMs`, {
              details: { peer, timeoutMs: pageTimeoutMs },
            });
          }
        }
        const next = queue.shift();
        if (next === undefined) throw failure!;
        if (next.error !== undefined) {
          throw new StatemeshError('INTERNAL', `${source}: peer ${peer} could not produce the snapshot: ${next.error}`, { details: { peer } });
        }
        yield next.page;
        if (next.page.last) return;
      }
    } finally {
      this.#pending.delete(requestId);
    }
  }

  /** Queues a page that arrived on `connection` for the request it answers; pages nobody waits for are dropped. */
  page(connection: C, frame: SnapshotPageFrame): void {
    const pending = this.#pending.get(frame.requestId);
    if (pending?.connection !== connection) return;
    const page: SnapshotPage = frame.vector === undefined ? { entries: frame.entries, last: frame.last } : { entries: frame.entries, last: frame.last, vector: frame.vector };
    pending.page(page, frame.error);
  }

  /** Fails every request waiting on `connection` with `error` (it closed, or the transport is closing). */
  failConnection(connection: C, error: Error): void {
    for (const [requestId, pending] of this.#pending) {
      if (pending.connection !== connection) continue;
      this.#pending.delete(requestId);
      pending.fail(error);
    }
  }

  /** Requests waiting for pages right now. */
  get size(): number {
    return this.#pending.size;
  }
}
