import type { ServerResponse } from 'node:http';

/** Unsent bytes a stream client may fall behind by before it is dropped (default of `maxStreamQueueBytes`). */
export const DEFAULT_MAX_STREAM_QUEUE_BYTES = 1024 * 1024;

/**
 * One server-sent event stream to one client, with its memory bounded: when more than `maxQueuedBytes` of
 * events wait unsent (the client stopped reading), the client is dropped — its connection closed — rather than
 * queued for without end. A dropped `EventSource` reconnects and starts again from the current state; a
 * `statemesh watch` ends and says so. Dropping (not coalescing) keeps every delivered stream complete: a client
 * never sees a change stream with holes in it.
 */
export class EventStream {
  readonly #response: ServerResponse;
  readonly #maxQueuedBytes: number;
  readonly #onDrop: () => void;
  #open = true;

  constructor(response: ServerResponse, maxQueuedBytes: number, onDrop: () => void) {
    this.#response = response;
    this.#maxQueuedBytes = maxQueuedBytes;
    this.#onDrop = onDrop;
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(': statemesh\n\n');
  }

  /** Bytes written to this stream that the client has not taken yet (in the response and its socket). */
  get queuedBytes(): number {
    return this.#open ? this.#response.writableLength : 0;
  }

  /** Whether the stream still sends (not dropped, not ended). */
  get open(): boolean {
    return this.#open;
  }

  /** Sends one event, or drops the client when it is too far behind. */
  send(event: string, data: unknown): void {
    if (!this.#open) return;
    if (this.#response.writableLength > this.#maxQueuedBytes) {
      this.#open = false;
      this.#response.destroy();
      this.#onDrop();
      return;
    }
    this.#response.write(`event: ${event}\ndata: ${JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n\n`);
  }

  /** Ends the stream (the node is closing). */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#response.end();
  }
}
