import type { ErrorCode, HelloInfo, Link, LinkFrame, StatemeshError, TimerHandle, Timers, VersionVector } from '@statemesh/contracts';
import { FRAME_KIND_OF, decodeFrameBody, encodeFrameBody, type Frame, type GoodbyeFrame, type UnknownFrame } from '@statemesh/wire';
import type { AnnouncedLinks } from './announced-links.js';
import type { Liveness } from './liveness.js';
import type { SeedDialer } from './seed-dialer.js';
import type { Stats } from './stats.js';

/** Handshake: no Hello accepted yet. Active: carries the peer's traffic. Standby: a duplicate being wound down. */
export type ConversationState = 'handshake' | 'active' | 'standby' | 'closed';

/** What a conversation reports to the engine that owns it. */
export interface ConversationEvents {
  /** A frame arrived and decoded; `raw` is it as the link carried it (a relay forwards its body). */
  frame(conversation: Conversation, frame: Frame | UnknownFrame, raw: LinkFrame): void;
  /** A frame did not decode; the engine closes the link. */
  badInput(conversation: Conversation, error: unknown): void;
  /** The link closed; no event follows. */
  closed(conversation: Conversation, reason: string, error?: StatemeshError): void;
}

/** Where a conversation came from: a seed's dialer, or a listener (whose Hello-less links are capped). */
export interface ConversationOrigin {
  readonly dialer?: SeedDialer | undefined;
  readonly listener?: { pending: number } | undefined;
}

/** How long to wait before re-checking a backlog when the link sends no `drain` (it never refused a frame). */
const BACKLOG_RECHECK_MS = 20;

/**
 * The conversation on one link: frames in (decoded, counted, stamping the peer's liveness) and out (encoded at
 * the negotiated version, counted), and what the Hello taught us about the other end. The protocol decisions
 * (handshake, dispatch, tie-break) are the engine's.
 */
export class Conversation {
  readonly link: Link;
  readonly origin: ConversationOrigin;
  state: ConversationState = 'handshake';
  /** Set by the Hello exchange. */
  peer: string | undefined;
  hello: HelloInfo | undefined;
  /** The negotiated protocol version (0 until the Hello). */
  version = 0;
  liveness: Liveness | undefined;
  /** The peer's vector as it last acknowledged it (its Hello, then each Ack). */
  acknowledged: VersionVector | undefined;
  /** Our vector as we last acknowledged it to this peer. */
  ackSent: VersionVector | undefined;
  /** The mark of the last large value we told this peer we hold (`TransportHost.heldBlobs`). */
  heldSent = 0;
  /** The peer instance id from its Hello (a restarted node has a new one; empty when not announced). */
  instance = '';
  /** The peer's wall clock minus ours, from its latest heartbeat. */
  clockSkewMs: number | undefined;
  /** The peer's own links, from its latest heartbeat; undefined when it announces none. */
  announced: AnnouncedLinks | undefined;
  /** What the peer said in its Goodbye, its refusal code first (`CLUSTER_MISMATCH: ...`); undefined without one. */
  #goodbye: string | undefined;
  /** True while this link counts against its listener's cap on links without a Hello. */
  countedPending = false;
  /** The handshake timeout, until the Hello is accepted. */
  handshakeTimer: TimerHandle | undefined;
  /** Chunk answers wait here in turn, so that a burst of requests never overflows the link. */
  answers: Promise<void> = Promise.resolve();
  /** Resolves once the link closed. */
  readonly closed: Promise<void>;
  readonly #timers: Timers;
  readonly #stats: Stats;
  readonly #events: ConversationEvents;
  #drainWaiters: Array<() => void> = [];
  #isClosed = false;
  #resolveClosed!: () => void;

  constructor(link: Link, origin: ConversationOrigin, context: { timers: Timers; stats: Stats }, events: ConversationEvents) {
    this.link = link;
    this.origin = origin;
    this.#timers = context.timers;
    this.#stats = context.stats;
    this.#events = events;
    this.closed = new Promise<void>((resolve) => (this.#resolveClosed = resolve));
  }

  /** Where the other end is. */
  get address(): string {
    return this.link.remoteAddress;
  }

  /** True once the link closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Closes the link with `TIMEOUT` unless it leaves the handshake (a Hello accepted) within `ms`; `report` first. */
  awaitHello(ms: number, report: () => void): void {
    this.handshakeTimer = this.#timers.setTimeout(() => {
      this.handshakeTimer = undefined;
      if (this.state !== 'handshake') return;
      report();
      this.destroy('no Hello in time', 'TIMEOUT');
    }, ms);
  }

  /** The handshake is over (a Hello accepted, or the link closed): its timer stops, its listener's cap frees up. */
  leaveHandshake(): void {
    if (this.handshakeTimer !== undefined) this.#timers.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    const listener = this.origin.listener;
    if (listener !== undefined && this.countedPending) {
      this.countedPending = false;
      listener.pending--;
    }
  }

  /** Starts receiving. */
  open(): void {
    this.link.open({
      frame: (frame) => this.#receive(frame),
      drain: () => this.#wake(),
      closed: (reason, error) => {
        if (this.#isClosed) return;
        this.#isClosed = true;
        this.state = 'closed';
        if (this.handshakeTimer !== undefined) this.#timers.clearTimeout(this.handshakeTimer);
        this.handshakeTimer = undefined;
        this.#wake();
        this.#events.closed(this, reason, error);
        this.#resolveClosed();
      },
    });
  }

  /** Encodes and queues a frame (at the negotiated version, or `version`); returns the link's answer. */
  send(frame: Frame, version = this.version): boolean {
    return this.sendRaw(FRAME_KIND_OF[frame.kind], version, encodeFrameBody(frame));
  }

  /** Queues an already encoded body; false once the link is past its high-water mark (the frame is queued). */
  sendRaw(kind: number, version: number, body: Uint8Array): boolean {
    if (this.#isClosed) return false;
    this.#stats.framesSent++;
    this.#stats.bytesSent += body.byteLength;
    return this.link.send({ kind, version, body });
  }

  /** Bytes queued on the link. */
  get bufferedBytes(): number {
    return this.link.bufferedBytes;
  }

  /** Resolves once the link's backlog is at or below `bytes` (at once if it is), or the link closed. */
  async below(bytes: number): Promise<void> {
    while (!this.#isClosed && this.link.bufferedBytes > bytes) {
      await new Promise<void>((resolve) => {
        // `drain` wakes us; a timer re-checks in case the link never refused a frame (and so sends no drain).
        const timer = this.#timers.setTimeout(resolve, BACKLOG_RECHECK_MS);
        this.#drainWaiters.push(() => {
          this.#timers.clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Notes the peer's Goodbye: it ends nothing by itself; its words become the reason the link went down. */
  heardGoodbye(frame: GoodbyeFrame): void {
    this.#goodbye = frame.code === undefined ? frame.reason : `${frame.code}: ${frame.reason}`;
  }

  /** Why the link went down: the peer's Goodbye when it said one, else `reason`. */
  downReason(reason: string): string {
    return this.#goodbye === undefined ? reason : `the peer said goodbye: ${this.#goodbye}`;
  }

  /**
   * Says goodbye and ends the link, letting queued frames out; the link cuts it after `graceMs`. `code`: this is a
   * refusal, which a link that can carry it tells the other side (a gRPC status, a WebSocket close code).
   */
  end(reason: string, graceMs: number, code?: ErrorCode): void {
    if (this.#isClosed) return;
    this.send(code === undefined ? { kind: 'goodbye', reason } : { kind: 'goodbye', reason, code }, this.version || 1);
    this.link.end(reason, graceMs, code);
  }

  /** Closes at once, dropping whatever is queued; `code` as for {@link end}. */
  destroy(reason: string, code?: ErrorCode): void {
    if (!this.#isClosed) this.link.destroy(reason, code);
  }

  #receive(raw: LinkFrame): void {
    if (this.#isClosed) return;
    this.#stats.framesReceived++;
    this.#stats.bytesReceived += raw.body.byteLength;
    // Any frame is a sign of life, not only heartbeats.
    this.liveness?.seen(this.#timers.now());
    let frame: Frame | UnknownFrame;
    try {
      frame = decodeFrameBody(raw.kind, raw.body);
    } catch (error) {
      this.#events.badInput(this, error);
      return;
    }
    this.#events.frame(this, frame, raw);
  }

  #wake(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
