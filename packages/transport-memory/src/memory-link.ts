import type { Link, LinkEvents, LinkFrame, StatemeshError, TimerHandle, Timers } from '@statemesh/contracts';
import { LinkInbox, SendBacklog } from '@statemesh/protocol';
import { IpcFrameReader, encodeRawIpcFrame } from '@statemesh/wire';

/** What a link end needs of its network (internal). */
export interface LinkCarrier {
  readonly timers: Timers;
  /** Carries the encoded bytes of one frame (or, with `close`, the end of the stream) to `link`'s other end. */
  carry(link: MemoryLink, bytes: Uint8Array | 'close', kind: number): void;
  /** The link is closed on this end: it leaves the network's books. */
  forget(link: MemoryLink): void;
}

/**
 * One end of an in-process link. What it sends is encoded with the IPC framing of `@statemesh/wire` (12-byte
 * header, then the body) and read back with its frame reader on arrival, so the shipped framing and its limits
 * run; the network between the ends delays, drops, duplicates, reorders and cuts.
 */
export class MemoryLink implements Link {
  readonly remoteAddress: string;
  readonly dialed: boolean;
  /** The node on this end, and on the other. */
  readonly local: string;
  readonly remote: string;
  /** The other end. */
  peer!: MemoryLink;
  readonly #carrier: LinkCarrier;
  readonly #reader = new IpcFrameReader({ maxFrameBytes: 64 * 1024 });
  readonly #inbox = new LinkInbox();
  readonly #backlog: SendBacklog;
  #ending = false;
  /** Why this end ended the link, when it did. */
  #closedReason: string | undefined;
  #closed: { reason: string; error?: StatemeshError | undefined } | undefined;
  #grace: TimerHandle | undefined;

  constructor(carrier: LinkCarrier, ends: { local: string; remote: string; dialed: boolean; highWaterMarkBytes: number }) {
    this.#carrier = carrier;
    this.local = ends.local;
    this.remote = ends.remote;
    this.dialed = ends.dialed;
    this.remoteAddress = `memory://${ends.remote}`;
    this.#backlog = new SendBacklog(ends.highWaterMarkBytes, () => {
      if (this.#closed === undefined) this.#inbox.drain();
    });
  }

  get maxFrameBytes(): number {
    return this.#reader.maxFrameBytes;
  }

  set maxFrameBytes(bytes: number) {
    this.#reader.maxFrameBytes = bytes;
  }

  get bufferedBytes(): number {
    return this.#backlog.bytes;
  }

  /** True once this end was reset: what it had in flight is lost. */
  isReset = false;

  /** True once this end is closed. */
  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  open(events: LinkEvents): void {
    this.#inbox.open(events);
  }

  send(frame: LinkFrame): boolean {
    if (this.#closed !== undefined || this.#ending) return false;
    const bytes = encodeRawIpcFrame(frame);
    this.#backlog.add(bytes.byteLength);
    this.#carrier.carry(this, bytes, frame.kind);
    return this.#backlog.withinMark();
  }

  end(reason: string, graceMs = 1_000): void {
    if (this.#closed !== undefined || this.#ending) return;
    this.#ending = true;
    this.#closedReason = reason;
    this.#carrier.carry(this, 'close', 0);
    this.#grace = this.#carrier.timers.setTimeout(() => this.destroy(reason), graceMs);
  }

  destroy(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#inbox.discard();
    this.close(this.#closedReason ?? reason, undefined, true);
    this.peer.close('the other side reset the link', undefined, true);
  }

  /** The network took `bytes` of this end's backlog (delivered, lost or dropped). */
  taken(bytes: number): void {
    this.#backlog.taken(bytes);
  }

  /** Bytes of one frame arrived from the other end. */
  receive(bytes: Uint8Array): void {
    if (this.#closed !== undefined) return;
    let frames: LinkFrame[];
    try {
      frames = this.#reader.push(bytes);
    } catch (error) {
      this.close(`bad input: ${(error as Error).message}`, error as StatemeshError, true);
      this.peer.close('the other side reset the link', undefined, true);
      return;
    }
    for (const frame of frames) this.#inbox.frame(frame);
  }

  /**
   * The other end's close marker arrived: it sends nothing more, as after a FIN. This end answers with its own
   * marker (behind what it queued, which still arrives) unless it sent one already, and is done.
   */
  ended(): void {
    if (this.#closed !== undefined) return;
    if (!this.#ending) {
      this.#ending = true;
      this.#carrier.carry(this, 'close', 0);
    }
    this.close(this.#closedReason ?? 'the other side closed the link');
  }

  /**
   * Closes this end: no frame is delivered to it after, and `closed` follows on the next turn of the timers.
   * `reset`: what this end had in flight is lost too (a reset or crash, not an orderly close).
   */
  close(reason: string, error?: StatemeshError, reset = false): void {
    if (this.#closed !== undefined) return;
    this.#closed = { reason, error };
    this.isReset = reset;
    if (this.#grace !== undefined) this.#carrier.timers.clearTimeout(this.#grace);
    this.#carrier.forget(this);
    const closed = this.#closed;
    this.#carrier.timers.setTimeout(() => this.#inbox.closed(closed.reason, closed.error), 0);
  }
}
