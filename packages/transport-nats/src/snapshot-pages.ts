import { StatemeshError, type Entry, type SnapshotPage, type SnapshotRequest, type TimerHandle, type Timers, type TransportHost } from '@statemesh/contracts';
import { headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { peerUnavailable } from '@statemesh/protocol';
import { decodeEnvelope, encodeEnvelope, type SnapshotPageFrame, type SnapshotRequestFrame } from '@statemesh/wire';
import { pageRuns } from './batch-payloads.js';
import { PACKAGE } from './options.js';

/** Header naming the pull stream a page request belongs to (the requester's random id). */
export const STREAM_HEADER = 'Statemesh-Stream';
/** Snapshots served at once; a request past it is answered with an error page. */
const MAX_SERVED = 64;
const HEADROOM = 4096;

interface Served {
  readonly pages: AsyncIterator<SnapshotPage>;
  readonly parts: SnapshotPageFrame<Entry>[];
  timer: TimerHandle | undefined;
}

/**
 * Serves snapshots and catch-ups one page per request (the requester pulls: flow control without a window).
 * The first request of a stream carries the `SnapshotRequest`; each page is cut into parts that fit a NATS
 * message, only the final part of the final page marked `last` with the vector.
 */
export class SnapshotServer {
  readonly #served = new Map<string, Served>();
  readonly #host: () => TransportHost;
  readonly #maxPayload: () => number;
  readonly #timers: Timers;
  readonly #idleMs: number;
  readonly #report: (error: StatemeshError) => void;

  constructor(options: { host: () => TransportHost; maxPayload: () => number; timers: Timers; idleMs: number; report: (error: StatemeshError) => void }) {
    this.#host = options.host;
    this.#maxPayload = options.maxPayload;
    this.#timers = options.timers;
    this.#idleMs = options.idleMs;
    this.#report = options.report;
  }

  async serve(msg: Msg): Promise<void> {
    const id = msg.headers?.get(STREAM_HEADER) ?? '';
    if (msg.reply === undefined || id === '' || id.length > 64) return;
    let served = this.#served.get(id);
    let requestId = 0;
    if (served === undefined) {
      let frame;
      try {
        frame = decodeEnvelope(msg.data);
      } catch (error) {
        this.#report(new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: dropped a malformed snapshot request on ${msg.subject}: ${String(error)}`, { cause: error }));
        return;
      }
      if (frame.kind !== 'snapshot-request') return;
      requestId = frame.requestId;
      if (this.#served.size >= MAX_SERVED) {
        msg.respond(encodeEnvelope({ kind: 'snapshot-page', requestId, entries: [], last: true, error: `serving ${MAX_SERVED} snapshots already; ask again later` }));
        return;
      }
      const request: SnapshotRequest = { prefixes: frame.prefixes, vector: frame.vector, pageSize: frame.pageSize };
      served = { pages: this.#host().snapshot(request)[Symbol.asyncIterator](), parts: [], timer: undefined };
      this.#served.set(id, served);
    }
    if (served.timer !== undefined) this.#timers.clearTimeout(served.timer);
    let part: SnapshotPageFrame<Entry>;
    try {
      part = served.parts.shift() ?? (await this.#nextParts(served, requestId));
    } catch (error) {
      this.#end(id);
      msg.respond(encodeEnvelope({ kind: 'snapshot-page', requestId, entries: [], last: true, error: String(error instanceof Error ? error.message : error) }));
      return;
    }
    if (part.last) this.#end(id);
    else served.timer = this.#timers.setTimeout(() => this.#end(id), this.#idleMs);
    msg.respond(encodeEnvelope(part));
  }

  /** Stops serving every snapshot (the node is closing). */
  close(): void {
    for (const id of this.#served.keys()) this.#end(id);
  }

  async #nextParts(served: Served, requestId: number): Promise<SnapshotPageFrame<Entry>> {
    const next = await served.pages.next();
    const page: SnapshotPage = next.done === true ? { entries: [], last: true } : next.value;
    const encode = (entries: Entry[]): Uint8Array => encodeEnvelope({ kind: 'snapshot-page', requestId, entries, last: page.last, ...(page.vector === undefined ? {} : { vector: page.vector }) });
    const runs = pageRuns(page.entries, this.#maxPayload() - HEADROOM, encode);
    runs.forEach((run, i) => {
      const final = i === runs.length - 1;
      const frame: SnapshotPageFrame<Entry> = { kind: 'snapshot-page', requestId, entries: run.entries, last: final && page.last };
      if (final && page.vector !== undefined) frame.vector = page.vector;
      served.parts.push(frame);
    });
    return served.parts.shift()!;
  }

  #end(id: string): void {
    const served = this.#served.get(id);
    if (served === undefined) return;
    this.#served.delete(id);
    if (served.timer !== undefined) this.#timers.clearTimeout(served.timer);
    served.pages.return?.().catch(() => undefined);
  }
}

/**
 * Pulls the pages of a snapshot or catch-up from `subject`, one request per page, up to the last. `TIMEOUT` when
 * a page is late, `PEER_UNAVAILABLE` when nobody serves the subject (the peer left), `INTERNAL` when the peer
 * could not produce it.
 */
export async function* pullSnapshot(nc: NatsConnection, subject: string, peer: string, request: SnapshotRequest, options: { requestId: number; streamId: string; timeoutMs: number }): AsyncGenerator<SnapshotPage> {
  const frame: SnapshotRequestFrame = { kind: 'snapshot-request', requestId: options.requestId, prefixes: [...request.prefixes] };
  if (request.vector !== undefined) frame.vector = request.vector;
  if (request.pageSize !== undefined) frame.pageSize = request.pageSize;
  const body = encodeEnvelope(frame);
  const h = headers();
  h.set(STREAM_HEADER, options.streamId);
  for (let first = true; ; first = false) {
    let reply: Msg;
    try {
      reply = await nc.request(subject, first ? body : new Uint8Array(0), { timeout: options.timeoutMs, headers: h });
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (name === 'TimeoutError') {
        throw new StatemeshError('TIMEOUT', `${PACKAGE}: peer ${peer} sent no snapshot page for ${options.timeoutMs} ms; retry, or raise snapshotTimeoutMs`, { cause: error, details: { peer } });
      }
      throw peerUnavailable(PACKAGE, peer, `its snapshot subject did not answer (${String(error)})`);
    }
    let page;
    try {
      page = decodeEnvelope(reply.data);
    } catch (error) {
      throw new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: peer ${peer} answered a snapshot page that does not decode: ${String(error)}`, { cause: error });
    }
    if (page.kind !== 'snapshot-page') throw new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: peer ${peer} answered a snapshot request with a ${page.kind} frame`);
    if (page.error !== undefined) throw new StatemeshError('INTERNAL', `${PACKAGE}: peer ${peer} could not produce the snapshot: ${page.error}`, { details: { peer } });
    yield page.vector === undefined ? { entries: page.entries, last: page.last } : { entries: page.entries, last: page.last, vector: page.vector };
    if (page.last) return;
  }
}
