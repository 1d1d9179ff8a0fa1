import { StatemeshError, type SnapshotRequest, type TransportHost } from '@statemesh/contracts';
import { FRAME_KIND, type SnapshotPageFrame, type SnapshotRequestFrame } from '@statemesh/wire';
import type { Conversation } from './conversation.js';
import { CHUNK_FRAME_OVERHEAD_BYTES, pageBodies } from './frame-splitter.js';
import { PACKAGE, type ResolvedOptions } from './options.js';

/** What a {@link RequestServer} needs from its engine. */
export interface RequestServerContext {
  readonly options: ResolvedOptions;
  host(): TransportHost;
  running(): boolean;
  report(error: StatemeshError): void;
}

/**
 * Answers a peer's chunk and snapshot requests from the host, with back-pressure: each answer waits until the
 * link's backlog is below half the high-water mark, and chunk answers of one link go out one after another
 * (queued, never all at once), so that serving never trips the slow-peer drop of the link it serves.
 */
export class RequestServer {
  readonly #context: RequestServerContext;

  constructor(context: RequestServerContext) {
    this.#context = context;
  }

  /** Reads the chunk, then queues its answer behind the link's earlier answers (a slow read holds up no other). */
  serveChunk(conversation: Conversation, requestId: number, digest: string): void {
    void this.#readChunk(conversation, digest).then((data) => {
      conversation.answers = conversation.answers.then(async () => {
        await conversation.below(this.#context.options.highWaterMarkBytes / 2);
        if (conversation.isClosed) return;
        conversation.send({ kind: 'chunk-response', requestId, digest, found: data !== undefined, data: data ?? new Uint8Array(0) });
      });
    });
  }

  /** Streams the host's pages answering a snapshot request, each split to fit a frame, waiting for the link between pages. */
  async serveSnapshot(conversation: Conversation, frame: SnapshotRequestFrame): Promise<void> {
    const { options } = this.#context;
    const request: { prefixes: readonly string[]; vector?: SnapshotRequestFrame['vector']; pageSize?: number } = { prefixes: frame.prefixes };
    if (frame.vector !== undefined) request.vector = frame.vector;
    // `pageSize` is a hint: pages are also bounded by bytes (split to fit a frame).
    if (frame.pageSize !== undefined && frame.pageSize > 0) request.pageSize = frame.pageSize;
    // Split by this link's limit too: catch-up pages over gRPC stay under its 4 MiB messages.
    const maxFrameBytes = Math.min(options.maxFrameBytes, conversation.link.maxFrameBytes);
    const send = (page: SnapshotPageFrame): void => {
      for (const body of pageBodies(page, maxFrameBytes)) conversation.sendRaw(FRAME_KIND.snapshotPage, conversation.version, body);
    };
    try {
      for await (const page of this.#context.host().snapshot(request as SnapshotRequest)) {
        await conversation.below(options.highWaterMarkBytes / 2);
        if (conversation.isClosed || !this.#context.running()) return;
        const pageFrame: SnapshotPageFrame = { kind: 'snapshot-page', requestId: frame.requestId, entries: [...page.entries], last: page.last };
        if (page.vector !== undefined) pageFrame.vector = page.vector;
        send(pageFrame);
        if (page.last) return;
      }
      send({ kind: 'snapshot-page', requestId: frame.requestId, entries: [], last: true });
    } catch (error) {
      this.#context.report(new StatemeshError('INTERNAL', `${PACKAGE}: serving a snapshot to ${conversation.peer} failed: ${String(error)}`, { cause: error }));
      if (!conversation.isClosed) conversation.send({ kind: 'snapshot-page', requestId: frame.requestId, entries: [], last: true, error: String(error) });
    }
  }

  async #readChunk(conversation: Conversation, digest: string): Promise<Uint8Array | undefined> {
    const { options } = this.#context;
    let data: Uint8Array | undefined;
    try {
      data = await this.#context.host().readChunk(digest);
    } catch (error) {
      this.#context.report(new StatemeshError('IO_ERROR', `${PACKAGE}: reading chunk ${digest} for ${conversation.peer} failed: ${String(error)}`, { cause: error }));
      return undefined;
    }
    if (data !== undefined && data.byteLength + CHUNK_FRAME_OVERHEAD_BYTES > options.maxFrameBytes) {
      this.#context.report(
        new StatemeshError(
          'FRAME_TOO_LARGE',
          `${PACKAGE}: chunk ${digest} (${data.byteLength} bytes) does not fit in one frame of ${options.maxFrameBytes}; answered as not found. Use smaller chunks or raise maxFrameBytes`,
        ),
      );
      return undefined;
    }
    return data;
  }
}
