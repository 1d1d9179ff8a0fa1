import { StatemeshError, type Timers, type TransportHost } from '@statemesh/contracts';
import { ChunkRequests } from '@statemesh/protocol';
import { headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { decodeEnvelope, encodeEnvelope, type ChunkResponseFrame } from '@statemesh/wire';
import { PACKAGE } from './options.js';

/** Header of a chunk request: the byte offset asked for (absent: 0). */
export const OFFSET_HEADER = 'Statemesh-Offset';
/** Header of a chunk response: the chunk's whole size, of which this reply carries a part. */
export const SIZE_HEADER = 'Statemesh-Size';
/** How long one chunk request waits for its reply before the next peer is asked. */
const CHUNK_REQUEST_TIMEOUT_MS = 5_000;
/** Room left in a message for the envelope's fields and headers. */
const HEADROOM = 1024;

/**
 * Serves one chunk request: the part of the chunk from the asked offset that fits in a message, with the whole
 * size in a header. The last chunk read is kept, so the parts of one large chunk read it once.
 */
export class ChunkServer {
  #last: { digest: string; data: Uint8Array } | undefined;
  readonly #host: () => TransportHost;
  readonly #maxPayload: () => number;
  readonly #report: (error: StatemeshError) => void;

  constructor(host: () => TransportHost, maxPayload: () => number, report: (error: StatemeshError) => void) {
    this.#host = host;
    this.#maxPayload = maxPayload;
    this.#report = report;
  }

  async serve(msg: Msg): Promise<void> {
    let frame;
    try {
      frame = decodeEnvelope(msg.data);
    } catch (error) {
      this.#report(new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: dropped a malformed chunk request on ${msg.subject}: ${String(error)}`, { cause: error }));
      return;
    }
    if (frame.kind !== 'chunk-request' || msg.reply === undefined) return;
    const offset = Number(msg.headers?.get(OFFSET_HEADER) ?? '0');
    let data = this.#last?.digest === frame.digest ? this.#last.data : undefined;
    if (data === undefined) {
      try {
        data = await this.#host().readChunk(frame.digest);
      } catch (error) {
        this.#report(new StatemeshError('IO_ERROR', `${PACKAGE}: reading chunk ${frame.digest} for a peer failed: ${String(error)}`, { cause: error }));
      }
      if (data !== undefined) this.#last = { digest: frame.digest, data };
    }
    const found = data !== undefined && Number.isSafeInteger(offset) && offset >= 0 && offset <= data.length;
    const part = found ? data!.subarray(offset, offset + Math.max(1, this.#maxPayload() - HEADROOM)) : new Uint8Array(0);
    const h = headers();
    h.set(SIZE_HEADER, String(found ? data!.length : 0));
    const response: ChunkResponseFrame = { kind: 'chunk-response', requestId: frame.requestId, digest: frame.digest, found, data: part };
    msg.respond(encodeEnvelope(response), { headers: h });
  }
}

/**
 * Fetches a whole chunk from `subject` part by part (each reply at most the server's `max_payload`). Resolves
 * `found: false` when the peer does not hold it, does not answer in `timeoutMs`, or answers nonsense.
 */
export async function fetchChunkParts(nc: NatsConnection, subject: string, requestId: number, digest: string, timeoutMs: number): Promise<ChunkResponseFrame> {
  const parts: Uint8Array[] = [];
  let received = 0;
  let size = -1;
  const request = encodeEnvelope({ kind: 'chunk-request', requestId, digest });
  const missing: ChunkResponseFrame = { kind: 'chunk-response', requestId, digest, found: false, data: new Uint8Array(0) };
  while (size < 0 || received < size) {
    const h = headers();
    if (received > 0) h.set(OFFSET_HEADER, String(received));
    let reply: Msg;
    try {
      reply = await nc.request(subject, request, { timeout: timeoutMs, headers: h });
    } catch {
      return missing; // no responder, a timeout, a closed connection: the next peer is asked
    }
    let frame;
    try {
      frame = decodeEnvelope(reply.data);
    } catch {
      return missing;
    }
    if (frame.kind !== 'chunk-response' || !frame.found) return missing;
    const total = Number(reply.headers?.get(SIZE_HEADER) ?? String(frame.data.length));
    if (!Number.isSafeInteger(total) || total < 0 || (size >= 0 && total !== size)) return missing;
    size = total;
    if (frame.data.length === 0 && received < size) return missing; // no progress: a confused peer
    parts.push(frame.data);
    received += frame.data.length;
    if (received > size) return missing;
  }
  if (parts.length === 1) return { ...missing, found: true, data: parts[0]! };
  const data = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return { ...missing, found: true, data };
}

/** A peer as `ChunkRequests` sees it: one object per node while it is up. */
export interface PeerHandle {
  readonly node: string;
}

/**
 * The engine's `ChunkRequests` (peers in turn, a timeout per fetch, a bound per peer, cancellation) over NATS
 * request/reply: each request fetches the whole chunk from the peer's chunk subject, part by part.
 */
export function chunkRequests(links: {
  timers: Timers;
  peers: ReadonlyMap<string, PeerHandle>;
  connection: () => NatsConnection | undefined;
  subject: (node: string) => string;
  nextRequestId: () => number;
  closedError: () => StatemeshError | undefined;
}): ChunkRequests<PeerHandle> {
  const requests: ChunkRequests<PeerHandle> = new ChunkRequests<PeerHandle>({
    source: PACKAGE,
    timers: links.timers,
    peers: links.peers,
    nextRequestId: links.nextRequestId,
    send: (handle, frame) => {
      const nc = links.connection();
      if (nc === undefined) return false;
      void fetchChunkParts(nc, links.subject(handle.node), frame.requestId, frame.digest, CHUNK_REQUEST_TIMEOUT_MS).then((answer) => requests.answer(handle, answer));
      return true;
    },
    closedError: links.closedError,
  });
  return requests;
}
