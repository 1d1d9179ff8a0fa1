import { StatemeshError, touchesAnySubtree, type CheckedMutation, type Mutation } from '@statemesh/contracts';
import type { Msg } from '@nats-io/transport-node';
import type { Stats } from '@statemesh/protocol';
import { addressedTo, batchHeaders, messageName } from './batch-headers.js';
import { BatchOutbox, type Addressees } from './batch-outbox.js';
import { batchPayloads } from './batch-payloads.js';
import type { MediumContext } from './medium-context.js';
import { HeldBatches } from './held-batches.js';
import { PACKAGE } from './options.js';
import { splitBySubtree } from './subject-routing.js';
import { batchSender } from './subjects.js';

/** Room left in a message for headers. */
const HEADROOM = 1024;

/** What {@link BatchChannel} needs of its transport. */
export interface BatchContext extends MediumContext {
  readonly stats: Stats;
  interests(): readonly string[];
  maxPayload(): number;
  /** True while batches may go out: running, or closing with what was queued before. */
  sending(): boolean;
  /** A live batch came from `from`: it is alive (asked for its Hello when unknown). */
  heard(from: string): void;
  /** Mutations were handed to the host: an acknowledgement is due. */
  delivered(): void;
  /** The live message `name` of `from` is handled: handed to the host, or nothing in it for this node. */
  handled(from: string, name: string | undefined): void;
}

/**
 * The live batch path: this node's batches published once on its subjects (split by subtree and at
 * `max_payload`, addressed by headers), and the batches heard there or read from the log handed to the host,
 * held in order while the log is read at start.
 */
export class BatchChannel {
  readonly #c: BatchContext;
  readonly #outbox = new BatchOutbox((mutations, addressees) => this.#send(mutations, addressees));
  /**
   * The batch from the medium the host is handling: what it publishes meanwhile of that batch (its relay) every
   * node of the medium has already, so it is left out. (A mark per batch, not per mutation: a WeakSet entry for
   * every mutation received was a third of a receiver's CPU.)
   */
  #delivering: { readonly mutations: readonly Mutation[]; members: Set<Mutation> | undefined } | undefined;
  /** While the log is read at start, live batches wait here, in order (bounded: past it, the log is read again). */
  #held: HeldBatches | undefined;
  /** Bytes of live batches that reached this node's subscriptions. */
  liveBytes = 0;
  /** The first part of this node's message names (batch-headers.ts): random, so a restart never repeats one. */
  readonly #namePrefix = Math.floor(Math.random() * 0x1_0000_0000).toString(36);
  #sentMessages = 0;

  constructor(context: BatchContext) {
    this.#c = context;
  }

  /** Queues `batch` less what came from the medium; the number of mutations queued. */
  publish(batch: readonly Mutation[], to: string | undefined, except: string | undefined): number {
    const fresh = this.#notFromMedium(batch);
    if (fresh.length > 0) this.#outbox.push(fresh, to, except);
    return fresh.length;
  }

  /** Sends what is queued at once (before a close). */
  flush(): void {
    this.#outbox.flush();
  }

  /** From now until {@link release}, live batches are held (at most `limit` mutations) while the log is read. */
  hold(limit: number): HeldBatches {
    this.#held = new HeldBatches(limit);
    return this.#held;
  }

  /** Hands over the live batches held while the log was read, and stops holding. */
  release(): void {
    const held = this.#held?.take() ?? [];
    this.#held = undefined;
    for (const { from, mutations, name } of held) if (this.#deliver(mutations, from)) this.#c.handled(from, name);
  }

  /** A live batch on a batch subject (from a core subscription). */
  receiveLive(msg: Msg): void {
    this.liveBytes += msg.data.length;
    if (addressedTo(msg.headers, this.#c.nodeId)) this.receive(batchSender(msg.subject), msg.data, false, messageName(msg.headers));
  }

  /** A batch of `from`, live (with its message's `name`) or (`fromLog`) read from the log. */
  receive(from: string, data: Uint8Array, fromLog = false, name?: string): void {
    const c = this.#c;
    if (from === c.nodeId && !fromLog) return;
    const frame = c.frames.received(data, from);
    if (frame === undefined) return;
    if (frame.kind !== 'mutations' || frame.compressed !== undefined) {
      c.frames.bad(from, `sent a ${frame.kind} frame on a batch subject`);
      return;
    }
    const interests = c.interests();
    const mutations = interests.length === 0 ? frame.mutations : frame.mutations.filter((m) => touchesAnySubtree(m.path, interests, m.op === 'delete'));
    if (!fromLog) c.heard(from);
    if (mutations.length === 0) {
      if (!fromLog) c.handled(from, name);
      return;
    }
    if (this.#held !== undefined && !fromLog) this.#held.push(from, mutations, name);
    else if (this.#deliver(mutations, from) && !fromLog) c.handled(from, name);
  }

  /** `batch` less the mutations of the medium's batch being delivered (a relay of it: the whole array, or some). */
  #notFromMedium(batch: readonly Mutation[]): Mutation[] {
    const delivering = this.#delivering;
    if (delivering === undefined) return batch.slice(); // a batch for one peer waits for the turn's end: the caller's array may change
    if (batch === delivering.mutations) return [];
    delivering.members ??= new Set(delivering.mutations);
    const members = delivering.members;
    return batch.filter((m) => !members.has(m));
  }

  /** Hands `mutations` to the host; false when the host threw (reported). */
  #deliver(mutations: CheckedMutation[], from: string): boolean {
    const c = this.#c;
    c.stats.delivered += mutations.length;
    const outer = this.#delivering;
    this.#delivering = { mutations, members: undefined };
    let handed = true;
    try {
      c.host().onMutations(mutations, from);
    } catch (error) {
      handed = false;
      c.log.report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's onMutations threw on a batch from ${from}: ${String(error)}`, { cause: error }));
    } finally {
      this.#delivering = outer;
    }
    c.delivered();
    return handed;
  }

  /** One batch on this node's subjects, split by subtree and at max_payload, each message named. */
  #send(mutations: Mutation[], addressees: Addressees): void {
    const c = this.#c;
    if (!c.sending()) return;
    try {
      for (const part of splitBySubtree(mutations)) {
        const subject = c.subjects.batch(c.nodeId, part.token);
        for (const payload of batchPayloads(part.mutations, c.maxPayload() - HEADROOM)) {
          c.publish(subject, payload, batchHeaders(addressees, `${this.#namePrefix}.${++this.#sentMessages}`));
        }
      }
    } catch (error) {
      c.log.report(error instanceof StatemeshError ? error : new StatemeshError('INTERNAL', `${PACKAGE}: publishing a batch failed: ${String(error)}`, { cause: error }));
    }
  }
}
