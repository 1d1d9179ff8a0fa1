import type { LinkEvents, LinkFrame, StatemeshError } from '@statemesh/contracts';

/**
 * The events side of a link, for link authors: frames and the close that arrive before `Link.open` wait here and
 * are delivered, in order, when it is called; after that they pass straight through. Once the link is being
 * torn down by its owner ({@link discard}), frames still buffered or arriving are dropped. `closed` is delivered
 * once, after every frame delivered before it.
 */
export class LinkInbox {
  #events: LinkEvents | undefined;
  #early: LinkFrame[] = [];
  #closed: { reason: string; error?: StatemeshError | undefined } | undefined;
  #discarded = false;
  #reported = false;

  /** True once `open` was called. */
  get isOpen(): boolean {
    return this.#events !== undefined;
  }

  /** True once the close was reported (or is waiting for `open`). */
  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  /** What `Link.open` does: delivers what waited, then passes events through. A second call is ignored. */
  open(events: LinkEvents): void {
    if (this.#events !== undefined) return;
    this.#events = events;
    const early = this.#early;
    this.#early = [];
    for (const frame of early) {
      if (this.#discarded || this.#reported) break;
      events.frame(frame);
    }
    this.#report();
  }

  /** One whole frame arrived from the other side. */
  frame(frame: LinkFrame): void {
    if (this.#discarded || this.#closed !== undefined) return;
    if (this.#events === undefined) this.#early.push(frame);
    else this.#events.frame(frame);
  }

  /** The send backlog fell below the high-water mark. */
  drain(): void {
    if (this.#closed === undefined) this.#events?.drain();
  }

  /** The owner is closing the link: no more frames are delivered (the close still is). */
  discard(): void {
    this.#discarded = true;
    this.#early = [];
  }

  /** The link is closed; the first call counts. */
  closed(reason: string, error?: StatemeshError): void {
    if (this.#closed !== undefined) return;
    this.#closed = { reason, error };
    this.#report();
  }

  #report(): void {
    if (this.#events === undefined || this.#closed === undefined || this.#reported) return;
    this.#reported = true;
    this.#events.closed(this.#closed.reason, this.#closed.error);
  }
}
