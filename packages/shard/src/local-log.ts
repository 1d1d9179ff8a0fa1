import { putChunked } from '@statemesh/blob-store';
import type { PutChunkedOptions } from '@statemesh/blob-store';
import { StatemeshError } from '@statemesh/contracts';
import type { BlobRef, BlobStore, CheckedMutation, Version } from '@statemesh/contracts';
import { Outbox } from './outbox.js';
import type { SeenSet } from './seen-set.js';
import { utf8 } from './value-decode.js';

const PREFIX = '@statemesh/shard: ';

/**
 * This node's own writes: the sequence that numbers them, the outbox they wait in until drained, and the blob
 * offloads that hold a large write back until its blob is stored.
 */
export class LocalLog {
  readonly #origin: string;
  readonly #seen: SeenSet;
  readonly #outbox = new Outbox();
  #seq = 0;
  /** Sequence numbers of local writes whose value is being stored as a blob, not yet publishable. */
  readonly #offloading = new Set<number>();
  readonly #offloads = new Set<Promise<void>>();

  constructor(origin: string, seen: SeenSet) {
    this.#origin = origin;
    this.#seen = seen;
  }

  /** The highest local seq so far. */
  get seq(): number {
    return this.#seq;
  }

  /** Number of local writes not yet drained. */
  get outboxSize(): number {
    return this.#outbox.size;
  }

  /** The next sequence number, recorded as seen. */
  next(): number {
    if (this.#seq >= Number.MAX_SAFE_INTEGER - 1) {
      throw new StatemeshError('INTERNAL', `${PREFIX}origin '${this.#origin}' has used every sequence number; restart the node with a new incarnation`);
    }
    const seq = ++this.#seq;
    // Recorded as one seq, not as a prefix: after `reserveSequence` the writes below it are not held here yet,
    // and the vector must not claim them, or catch-up would never bring them back.
    this.#seen.add(this.#origin, seq);
    return seq;
  }

  /** Makes the next write take a sequence number above `seq`. */
  reserve(seq: number): void {
    if (seq > this.#seq) this.#seq = seq;
  }

  /** Queues a write (a delete when `type` is `''`); `ready` false while its blob is being stored. Returns its position. */
  push(path: string, type: string, hlc: bigint, seq: number, prev: Version | undefined, payload: Uint8Array | string | undefined, ready: boolean): number {
    return this.#outbox.push(path, type, hlc, seq, prev, payload, ready);
  }

  /** Ready writes as mutations, oldest first, up to `max`; stops before a write whose blob is still being stored. */
  drain(max: number): CheckedMutation[] {
    return this.#outbox.drain(max, this.#origin, utf8);
  }

  /**
   * Stores `bytes` as a chunked blob in the background; the write at `position` drains once it is stored (as
   * the reference, `stored` called with it), or inline when storing fails (`failed` called).
   */
  offload(store: BlobStore, options: PutChunkedOptions | undefined, seq: number, bytes: Uint8Array, position: number, stored: (ref: BlobRef) => void, failed: (error: unknown) => void): void {
    this.#offloading.add(seq);
    const task = putChunked(store, bytes, options).then(
      (ref) => {
        this.#outbox.complete(position, ref);
        stored(ref);
      },
      (error: unknown) => {
        // The write must still reach peers: it goes inline (a large frame) rather than not at all.
        this.#outbox.complete(position);
        failed(error);
      },
    );
    const tracked = task.finally(() => {
      this.#offloads.delete(tracked);
      this.#offloading.delete(seq);
    });
    this.#offloads.add(tracked);
  }

  /** Resolves once every offload started so far has finished. */
  async flush(): Promise<void> {
    while (this.#offloads.size > 0) await Promise.all(this.#offloads);
  }

  /** The lowest seq still being offloaded, or undefined. */
  firstOffloading(): number | undefined {
    return this.#offloading.size === 0 ? undefined : Math.min(...this.#offloading);
  }

  /** True when local write `seq` is still being offloaded. */
  isOffloading(seq: number): boolean {
    return this.#offloading.size > 0 && this.#offloading.has(seq);
  }
}
