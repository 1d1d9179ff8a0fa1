import { StatemeshError, type TimerHandle, type Timers } from '@statemesh/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { addressedTo, messageName } from './batch-headers.js';
import { PACKAGE } from './options.js';
import { batchSender, lastToken } from './subjects.js';

/** Names of live messages remembered before the follower reaches them; past it they are forgotten (read from the log instead). */
const MAX_HANDLED = 100_000;
/** Notices asked for at a time. */
const NOTICES_AT_ONCE = 1_000;
/** After a failure (the stream unavailable, the connection gone), the follow starts again this much later. */
const RETRY_MS = 1_000;

/** What a {@link LogFollower} needs of its transport. */
export interface LogFollowerContext {
  readonly nodeId: string;
  readonly stream: string;
  /** Every batch subject (`batch.*.*`): the follower is sent each message's headers, never its body. */
  readonly batchAll: string;
  /** The subject tokens this node receives (its interests' subtrees and `~`); undefined: every token. */
  readonly tokens: ReadonlySet<string> | undefined;
  readonly timers: Timers;
  /** A batch this node did not handle live, read from the log: handed to the host as the start's read does. */
  deliver(subject: string, data: Uint8Array): void;
  report(error: StatemeshError): void;
}

/**
 * Moves the log cursor along the live path after start. Live batches come on core subscriptions, which carry no
 * stream sequence; the follower relates them to the log with a headers-only ordered consumer over every batch
 * subject: for each of the log's messages, in order, it gets the subject, the headers and the sequence. A message
 * this node has nothing to do with (its own, another subtree, addressed to others) or that it handled live (its
 * name is in {@link handled}) is passed; any other one (missed live: a slow consumer, a reconnect; or not arrived
 * yet) is read from the log by its sequence and handed to the host. The cursor is the sequence of the last message
 * passed: every batch of this node's up to it has been handed to its host, so a host that keeps the cursor once
 * its replica holds on disk what it was handed loses nothing by reading the log after it on its next start.
 */
export class LogFollower {
  /** The stream sequence up to which every batch for this node has been handed to the host. */
  cursor: number;
  /** Messages missed live and read from the log. */
  fetched = 0;
  readonly #c: LogFollowerContext;
  readonly #handled = new Set<string>();
  #messages: ConsumerMessages | undefined;
  #retry: { timer: TimerHandle; wake: () => void } | undefined;
  #following: Promise<void> | undefined;
  /** When the stream followed was made (a different one: deleted and made again). */
  #created: string | undefined;
  #closed = false;

  constructor(context: LogFollowerContext, cursor: number) {
    this.#c = context;
    this.cursor = cursor;
  }

  /** The live message `name` of `sender` was handed to the host (or held nothing for this node). */
  handled(sender: string, name: string | undefined): void {
    if (name === undefined || this.#closed) return;
    if (this.#handled.size >= MAX_HANDLED) this.#handled.clear(); // forgotten ones are read from the log
    this.#handled.add(`${sender} ${name}`);
  }

  /** Follows the log from after the cursor until {@link close}; failures are reported and the follow starts again. */
  start(nc: NatsConnection): void {
    this.#following ??= this.#run(nc);
  }

  /** Stops following; resolves once no message is being handled. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#handled.clear();
    if (this.#retry !== undefined) {
      this.#c.timers.clearTimeout(this.#retry.timer);
      this.#retry.wake();
    }
    await this.#messages?.close().catch(() => undefined);
    await this.#following;
  }

  async #run(nc: NatsConnection): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#follow(nc);
      } catch (error) {
        if (this.#closed) return;
        this.#c.report(new StatemeshError('IO_ERROR', `${PACKAGE}: node ${this.#c.nodeId} could not follow the JetStream log ${this.#c.stream} (its cursor waits; trying again): ${String(error)}`, { cause: error }));
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#retry = undefined;
          resolve();
        };
        this.#retry = { timer: this.#c.timers.setTimeout(wake, RETRY_MS), wake };
      });
    }
  }

  async #follow(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc);
    // A stream deleted and made again has sequences of its own: followed from its start, the cursor claiming nothing.
    const info = await jsm.streams.info(this.#c.stream);
    if ((this.#created !== undefined && info.created !== this.#created) || info.state.last_seq < this.cursor) this.cursor = 0;
    this.#created = info.created;
    const consumer = await jetstream(nc).consumers.get(this.#c.stream, {
      filter_subjects: this.#c.batchAll,
      headers_only: true,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.cursor + 1,
    });
    const messages = await consumer.consume({ max_messages: NOTICES_AT_ONCE });
    this.#messages = messages;
    // Closed meanwhile: stopped now, the loop below ends at once (the messages end only as they are iterated).
    if (this.#closed) void messages.close();
    const follow = { reset: false };
    this.#endOnReset(messages, follow).catch((error: unknown) => this.#c.report(new StatemeshError('INTERNAL', `${PACKAGE}: watching the log follower's consumer failed: ${String(error)}`, { cause: error })));
    for await (const notice of messages) {
      if (this.#closed || follow.reset) return; // after a reset, not one notice more before the stream is looked at
      if (this.#missed(notice)) {
        const stored = await jsm.streams.getMessage(this.#c.stream, { seq: notice.seq });
        if (this.#closed || follow.reset) return;
        // Gone (trimmed) since the notice: a start would not read it either; peer catch-up brings it.
        if (stored !== null) {
          this.fetched++;
          this.#c.deliver(stored.subject, stored.data);
        }
      }
      this.cursor = notice.seq;
    }
  }

  /**
   * Ends the follow when its consumer was made again (the stream may have been deleted and made again, which the
   * ordered consumer would follow past the old sequences unseen): the next follow looks at the stream first.
   */
  async #endOnReset(messages: ConsumerMessages, follow: { reset: boolean }): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'ordered_consumer_recreated' || status.type === 'consumer_deleted' || status.type === 'stream_not_found') {
        follow.reset = true;
        await messages.close();
        return;
      }
    }
  }

  /** Whether the message of `notice` is for this node and was not handled live. */
  #missed(notice: JsMsg): boolean {
    const c = this.#c;
    const sender = batchSender(notice.subject);
    if (sender === c.nodeId) return false; // its own: what it publishes its replica holds first
    if (c.tokens !== undefined && !c.tokens.has(lastToken(notice.subject))) return false;
    if (!addressedTo(notice.headers, c.nodeId)) return false;
    const name = messageName(notice.headers);
    return name === undefined || !this.#handled.delete(`${sender} ${name}`);
  }
}
