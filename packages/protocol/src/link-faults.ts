import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import type { Conversation } from './conversation.js';
import { PACKAGE } from './options.js';
import type { Stats } from './stats.js';

/**
 * How a link that misbehaves is closed: counted, reported once, cut. A bad frame or a protocol error closes that
 * link only; the node and its other links go on.
 */
export class LinkFaults {
  readonly #stats: Stats;
  readonly #report: (error: StatemeshError) => void;
  readonly #highWaterMarkBytes: number;

  constructor(stats: Stats, report: (error: StatemeshError) => void, highWaterMarkBytes: number) {
    this.#stats = stats;
    this.#report = report;
    this.#highWaterMarkBytes = highWaterMarkBytes;
  }

  /** The peer broke the protocol (a frame before its Hello, a second Hello, a frame at another version...). */
  protocolError(conversation: Conversation, what: string): void {
    this.#stats.badFrames++;
    this.#report(new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: ${conversation.peer ?? conversation.address} ${what}; closed the link`));
    conversation.destroy(`protocol error: ${what}`, 'MALFORMED_FRAME');
  }

  /** A frame did not decode. */
  badInput(conversation: Conversation, error: unknown): void {
    this.#stats.badFrames++;
    const message = error instanceof Error ? error.message : String(error);
    const code = isStatemeshError(error) ? error.code : 'MALFORMED_FRAME';
    this.#report(
      new StatemeshError(code, `${PACKAGE}: bad input from ${conversation.peer ?? conversation.address}, link closed: ${message}`, {
        cause: error,
      }),
    );
    conversation.destroy(`bad frame: ${message}`, code);
  }

  /** The link itself refused the other side's bytes (bad magic, oversize frame) and closed. */
  linkRefused(conversation: Conversation, error: StatemeshError): void {
    this.#stats.badFrames++;
    this.#report(new StatemeshError(error.code, `${PACKAGE}: link to ${conversation.peer ?? conversation.address} closed on bad input: ${error.message}`, { cause: error }));
  }

  /** The peer's backlog passed the high-water mark: drop it; it catches up when it returns. */
  dropSlowPeer(conversation: Conversation): void {
    this.#stats.slowPeerDisconnects++;
    const queued = conversation.bufferedBytes;
    const highWaterMarkBytes = this.#highWaterMarkBytes;
    this.#report(
      new StatemeshError(
        'BACKPRESSURE',
        `${PACKAGE}: peer ${conversation.peer ?? conversation.address} did not keep up (${queued} bytes queued, high-water mark ${highWaterMarkBytes}); disconnected it, it catches up when it reconnects`,
        { details: { peer: conversation.peer, queued, highWaterMarkBytes } },
      ),
    );
    conversation.destroy('disconnected for not keeping up (send backlog past its high-water mark)', 'BACKPRESSURE');
  }
}
