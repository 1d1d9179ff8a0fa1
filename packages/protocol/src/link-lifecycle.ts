import { StatemeshError, isStatemeshError, type ErrorCode, type LinkEvents, type LinkFrame, type TimerHandle, type Timers } from '@statemesh/contracts';
import { LinkInbox } from './link-inbox.js';
import { realTimers } from './real-timers.js';

/** What a link's medium does when its {@link LinkLifecycle} closes it. Either way, the medium's close then calls `finish`. */
export interface LinkMedium {
  /**
   * An orderly close: what is queued goes first (a FIN, a half-close, a close frame). `code`: the engine's refusal
   * (`Link.end`), for a medium that can tell the other side.
   */
  close(reason: string, code: ErrorCode | undefined): void;
  /**
   * Closes at once, dropping what is queued. `code`: the engine's refusal (`Link.destroy`); `badInput`: set when
   * the cut is for bytes the link could not frame (then `code` is that error's code).
   */
  cut(reason: string, code: ErrorCode | undefined, badInput?: StatemeshError): void;
  /** The link closed: free what the medium holds (timers, books), before the close is reported. */
  finished?(): void;
}

/** Options of a {@link LinkLifecycle}. */
export interface LinkLifecycleOptions {
  /** Timers of the grace cut (and of a later report); real ones by default. */
  readonly timers?: Timers | undefined;
  /** Report the close on the next turn of `timers`, not within `finish` (a medium whose close is synchronous). */
  readonly reportLater?: boolean | undefined;
}

/**
 * The close of a link, for link authors, written once: the first reason and error are the ones reported; `end`
 * closes in order and cuts after a grace; `destroy` drops what is buffered and cuts; bytes a reader cannot frame
 * are bad input, reported as the close's error, and cut the link; `finish`, from the medium's own close event,
 * reports `closed` once, after every frame delivered before it. Events pass through a {@link LinkInbox}, so what
 * arrives before `open` waits for it. The link keeps only what its medium needs (a {@link LinkMedium}).
 */
export class LinkLifecycle {
  readonly #medium: LinkMedium;
  readonly #timers: Timers;
  readonly #reportLater: boolean;
  readonly #inbox = new LinkInbox();
  #reason: string | undefined;
  #error: StatemeshError | undefined;
  #grace: TimerHandle | undefined;
  #ending = false;
  #cut = false;
  #finished = false;

  constructor(medium: LinkMedium, options: LinkLifecycleOptions = {}) {
    this.#medium = medium;
    this.#timers = options.timers ?? realTimers;
    this.#reportLater = options.reportLater ?? false;
  }

  /** True once the link closed (`finish` was called). */
  get isClosed(): boolean {
    return this.#finished;
  }

  /** True once `end`, `destroy` or bad input began to close the link, or it closed: nothing more is sent. */
  get isClosing(): boolean {
    return this.#ending || this.#cut || this.#finished;
  }

  /** True once a cut is scheduled (`end`'s grace, or {@link cutAfter}). */
  get isCutScheduled(): boolean {
    return this.#grace !== undefined;
  }

  /** What `Link.open` does (see {@link LinkInbox.open}). */
  open(events: LinkEvents): void {
    this.#inbox.open(events);
  }

  /** The send backlog fell below the high-water mark; not told once the link is closing. */
  drain(): void {
    if (!this.isClosing) this.#inbox.drain();
  }

  /** Keeps `reason` and `error` unless earlier ones were kept: the first cause of a close is the one reported. */
  note(reason: string, error?: StatemeshError): void {
    this.#reason ??= reason;
    this.#error ??= error;
  }

  /**
   * Bytes arrived: `read` turns them into whole frames, which are delivered in order; a throw is bad input
   * ({@link fail}). Returns the frames delivered; nothing is read once the link was cut or closed.
   */
  receive(read: () => readonly LinkFrame[]): readonly LinkFrame[] {
    if (this.#cut || this.#finished) return [];
    let frames: readonly LinkFrame[];
    try {
      frames = read();
    } catch (error) {
      this.fail(isStatemeshError(error) ? error : new StatemeshError('MALFORMED_FRAME', `@statemesh/protocol: a frame did not read (${String(error)}); the link is closed`, { cause: error }));
      return [];
    }
    for (const frame of frames) this.#inbox.frame(frame); // dropped once the engine destroyed the link
    return frames;
  }

  /** The other side sent what this link cannot frame: `error` goes with the close, and the link is cut. */
  fail(error: StatemeshError): void {
    if (this.#cut || this.#finished) return;
    this.note(`bad input: ${error.message}`, error);
    this.#cut = true;
    this.#medium.cut(error.message, error.code, error);
  }

  /** What `Link.end` does: an orderly close of the medium, cut after `graceMs` whatever is left. Idempotent. */
  end(reason: string, graceMs = 1_000, code?: ErrorCode): void {
    if (this.isClosing) return;
    this.note(reason);
    this.#ending = true;
    this.cutAfter(graceMs); // armed first: a medium may close at once
    this.#medium.close(reason, code);
  }

  /** What `Link.destroy` does: frames not yet delivered are dropped, and the medium is cut (again, if asked twice). */
  destroy(reason: string, code?: ErrorCode): void {
    if (this.#finished) return;
    this.note(reason);
    this.#cut = true;
    this.#inbox.discard();
    this.#medium.cut(reason, code);
  }

  /** Cuts the medium after `ms` unless it closed by then; a cut already scheduled stays. */
  cutAfter(ms: number): void {
    if (this.#finished) return;
    this.#grace ??= this.#timers.setTimeout(() => {
      this.#cut = true;
      this.#inbox.discard();
      this.#medium.cut(this.#reason ?? 'the grace to close ran out', undefined);
    }, ms);
  }

  /** The medium closed (`reason` and `error` count unless earlier ones were kept): reports `closed`, once. */
  finish(reason: string, error?: StatemeshError): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#grace !== undefined) this.#timers.clearTimeout(this.#grace);
    this.note(reason, error);
    this.#medium.finished?.();
    const closed = { reason: this.#reason ?? reason, error: this.#error };
    if (this.#reportLater) this.#timers.setTimeout(() => this.#inbox.closed(closed.reason, closed.error), 0);
    else this.#inbox.closed(closed.reason, closed.error);
  }
}
