import { StatemeshError, touchesAnySubtree, type CheckedMutation, type Mutation } from '@statemesh/contracts';
import { headers, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import type { Stats } from '@statemesh/protocol';
import { BatchOutbox, type Addressees } from './batch-outbox.js';
import { batchPayloads } from './batch-payloads.js';
import type { MediumContext } from './medium-context.js';
import { HeldBatches } from './held-batches.js';
import { PACKAGE } from './options.js';
import { splitBySubtree } from './subject-routing.js';
import { batchSender } from './subjects.js';

/** Headers of a live batch meant for some nodes only (the log keeps it for everyone). */
const TO_HEADER = 'Statemesh-To';
const EXCEPT_HEADER = 'Statemesh-Except';
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
    for (const { from, mutations } of held) this.#deliver(mutations, from);
  }

  /** A live batch on a batch subject. */
  receiveLive(msg: Msg): void {
    this.liveBytes += msg.data.length;
    if (this.#addressed(msg)) this.receive(batchSender(msg.subject), msg.data);
  }

  /** A batch of `from`, live or (`fromLog`) read from the log. */
  receive(from: string, data: Uint8Array, fromLog = false): void {
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
    if (mutations.length === 0) return;
    if (this.#held !== undefined && !fromLog) this.#held.push(from, mutations);
    else this.#deliver(mutations, from);
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

  /** Whether a live batch is for this node: no addressing headers, named in `To`, or not the one in `Except`. */
  #addressed(msg: Msg): boolean {
    const to = msg.headers?.get(TO_HEADER) ?? '';
    if (to !== '' && !to.split(' ').includes(this.#c.nodeId)) return false;
    return msg.headers?.get(EXCEPT_HEADER) !== this.#c.nodeId;
  }

  #deliver(mutations: CheckedMutation[], from: string): void {
    const c = this.#c;
    c.stats.delivered += mutations.length;
    const outer = this.#delivering;
    this.#delivering = { mutations, members: undefined };
    try {
      c.host().onMutations(mutations, from);
    } catch (error) {
      c.log.report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's onMutations threw on a batch from ${from}: ${String(error)}`, { cause: error }));
    } finally {
      this.#delivering = outer;
    }
    c.delivered();
  }

  /** One batch on this node's subjects, split by subtree and at max_payload. */
  #send(mutations: Mutation[], addressees: Addressees): void {
    const c = this.#c;
    if (!c.sending()) return;
    let h: MsgHdrs | undefined;
    if (addressees.kind !== 'all') {
      h = headers();
      if (addressees.kind === 'to') h.set(TO_HEADER, addressees.nodes.join(' '));
      else h.set(EXCEPT_HEADER, addressees.node);
    }
    try {
      for (const part of splitBySubtree(mutations)) {
        const subject = c.subjects.batch(c.nodeId, part.token);
        for (const payload of batchPayloads(part.mutations, c.maxPayload() - HEADROOM)) c.publish(subject, payload, h);
      }
    } catch (error) {
      c.log.report(error instanceof StatemeshError ? error : new StatemeshError('INTERNAL', `${PACKAGE}: publishing a batch failed: ${String(error)}`, { cause: error }));
    }
  }
}
