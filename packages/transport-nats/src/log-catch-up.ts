import { StatemeshError } from '@statemesh/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { HeldBatches } from './held-batches.js';
import { PACKAGE } from './options.js';
import { readLog } from './stream-log.js';

/** Reads of the log at start before a node goes live though its held batches overflowed. */
const MAX_LOG_ROUNDS = 10;

/**
 * A starting node's catch-up from the JetStream log: every batch after its cursor, read again from where it
 * reached while the live batches held meanwhile overflow. The cursor is the stream sequence read up to.
 */
export class LogCatchUp {
  /** The stream sequence read up to. */
  cursor: number;
  /** Messages read (those of the node's subject filters only). */
  messages = 0;
  /** Reads: 1, plus one per time the held live batches passed their limit. */
  rounds = 0;
  readonly #nodeId: string;
  readonly #report: (error: StatemeshError) => void;

  constructor(nodeId: string, cursor: number, report: (error: StatemeshError) => void) {
    this.#nodeId = nodeId;
    this.cursor = cursor;
    this.#report = report;
  }

  /**
   * Reads the log of `stream` after the cursor, each message to `deliver`; when `held` overflowed (and dropped
   * what it held), reads again: the log has them. Gives up holding after {@link MAX_LOG_ROUNDS} reads (the writers
   * outpace the read), or once `starting()` says the node stopped: the batches dropped come back through peer
   * catch-up (anti-entropy).
   */
  async read(nc: NatsConnection, stream: string, filters: readonly string[], held: HeldBatches, starting: () => boolean, deliver: (subject: string, data: Uint8Array) => void): Promise<void> {
    for (;;) {
      this.rounds++;
      const read = await readLog(nc, stream, this.cursor + 1, filters, deliver);
      this.cursor = read.cursor;
      this.messages += read.messages;
      if (!held.overflowed || !starting()) return;
      held.take(); // dropped: they are in the log after the cursor, read next
      if (this.rounds >= MAX_LOG_ROUNDS) {
        this.#report(new StatemeshError('BACKPRESSURE', `${PACKAGE}: node ${this.#nodeId} read the log ${MAX_LOG_ROUNDS} times and the live batches held meanwhile still passed maxHeldMutations (${held.limit}); going live, the rest comes from peer catch-up. Raise maxHeldMutations`));
        return;
      }
    }
  }
}
