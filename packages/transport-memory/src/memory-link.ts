import type { Link, LinkEvents, LinkFrame, StatemeshError, Timers } from '@statemesh/contracts';
import { LinkLifecycle, MAX_HELLO_BYTES, SendBacklog } from '@statemesh/protocol';
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
  readonly #reader = new IpcFrameReader({ maxFrameBytes: MAX_HELLO_BYTES });
  readonly #life: LinkLifecycle;
  readonly #backlog: SendBacklog;
  /** This end sent its close marker. */
  #markerSent = false;

  constructor(carrier: LinkCarrier, ends: { local: string; remote: string; dialed: boolean; highWaterMarkBytes: number }) {
    this.#carrier = carrier;
    this.local = ends.local;
    this.remote = ends.remote;
    this.dialed = ends.dialed;
    this.remoteAddress = `memory://${ends.remote}`;
    // The close is reported on the next turn of the timers, as a socket's would be, never inside the engine's call.
    this.#life = new LinkLifecycle({ close: () => this.#sendMarker(), cut: (reason) => this.#reset(reason) }, { timers: carrier.timers, reportLater: true });
    this.#backlog = new SendBacklog(ends.highWaterMarkBytes, () => this.#life.drain());
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
    return this.#life.isClosed;
  }

  open(events: LinkEvents): void {
    this.#life.open(events);
  }

  send(frame: LinkFrame): boolean {
    if (this.#life.isClosing) return false;
    const bytes = encodeRawIpcFrame(frame);
    this.#backlog.add(bytes.byteLength);
    this.#carrier.carry(this, bytes, frame.kind);
    return this.#backlog.withinMark();
  }

  end(reason: string, graceMs?: number): void {
    this.#life.end(reason, graceMs);
  }

  destroy(reason: string): void {
    this.#life.destroy(reason);
  }

  /** The network took `bytes` of this end's backlog (delivered, lost or dropped). */
  taken(bytes: number): void {
    this.#backlog.taken(bytes);
  }

  /** Bytes of one frame arrived from the other end. */
  receive(bytes: Uint8Array): void {
    this.#life.receive(() => this.#reader.push(bytes));
  }

  /**
   * The other end's close marker arrived: it sends nothing more, as after a FIN. This end answers with its own
   * marker (behind what it queued, which still arrives) unless it sent one already, and is done.
   */
  ended(): void {
    if (this.#life.isClosed) return;
    this.#sendMarker();
    this.close('the other side closed the link');
  }

  /**
   * Closes this end: no frame is delivered to it after, and `closed` follows on the next turn of the timers.
   * `reset`: what this end had in flight is lost too (a reset or crash, not an orderly close).
   */
  close(reason: string, error?: StatemeshError, reset = false): void {
    if (this.#life.isClosed) return;
    this.isReset = reset;
    this.#carrier.forget(this);
    this.#life.finish(reason, error);
  }

  #sendMarker(): void {
    if (this.#markerSent) return;
    this.#markerSent = true;
    this.#carrier.carry(this, 'close', 0);
  }

  /** A cut resets both ends. */
  #reset(reason: string): void {
    this.close(reason, undefined, true);
    this.peer.close('the other side reset the link', undefined, true);
  }
}
