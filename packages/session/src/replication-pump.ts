import { touchesAnySubtree, type CheckedMutation, type Mutation, type Timers, type Transport } from '@statemesh/contracts';
import type { Shard } from '@statemesh/shard';
import type { ReplicaJournal } from './replica-journal.js';
import type { ReplicationWaits } from './replication-waits.js';
import type { SequenceStore } from './sequence-mark.js';
import { SESSION_PREFIX, plural } from './session-errors.js';

/** What the pump needs to know of an up peer. */
export interface PumpPeer {
  /** Prefixes the peer replicates; empty: everything. Writes outside them are not sent to it. */
  readonly interests: readonly string[];
}

/** What {@link ReplicationPump} needs of the session. */
export interface ReplicationPumpOptions {
  readonly shard: Shard;
  readonly transport: Transport;
  readonly timers: Timers;
  readonly sequenceMark: SequenceStore | undefined;
  /** With a `dataDir`: a write leaves the process only once it is on disk. */
  readonly journal: ReplicaJournal | undefined;
  readonly replicationWaits: ReplicationWaits;
  /** This node's writes recovered from disk that no peer is known to have: published once a peer is up. */
  readonly recoveredOutbox: readonly Mutation[];
  /** The up peers, by node id. */
  readonly peers: ReadonlyMap<string, PumpPeer>;
  readonly running: () => boolean;
  readonly log: (line: string) => void;
}

/**
 * The send path: local writes drained from the shard in batches (an idle node flushes at once, a busy one fills
 * them), their sequence numbers marked taken, held until they are on disk with a `dataDir`, then published to
 * each up peer under its interests; remote batches applied, journalled and relayed to the other peers.
 */
export class ReplicationPump {
  readonly #shard: Shard;
  readonly #transport: Transport;
  readonly #timers: Timers;
  readonly #sequenceMark: SequenceStore | undefined;
  readonly #journal: ReplicaJournal | undefined;
  readonly #replicationWaits: ReplicationWaits;
  readonly #peers: ReadonlyMap<string, PumpPeer>;
  readonly #running: () => boolean;
  readonly #log: (line: string) => void;
  /** Batches drained and not yet on disk: sent, in order, once they are. */
  readonly #held: Mutation[][] = [];
  #sending: Promise<void> | undefined;
  #recoveredOutbox: readonly Mutation[];
  #flushScheduled = false;
  #cycles = 0;

  constructor(options: ReplicationPumpOptions) {
    this.#shard = options.shard;
    this.#transport = options.transport;
    this.#timers = options.timers;
    this.#sequenceMark = options.sequenceMark;
    this.#journal = options.journal;
    this.#replicationWaits = options.replicationWaits;
    this.#recoveredOutbox = options.recoveredOutbox;
    this.#peers = options.peers;
    this.#running = options.running;
    this.#log = options.log;
  }

  /** How many pump cycles ran. */
  get cycles(): number {
    return this.#cycles;
  }

  /** Drains the shard's outbox and sends what is ready; run every pump interval. */
  pump(): void {
    this.#cycles++;
    if (this.#held.length > 0) this.#sendHeld();
    if (this.#shard.outboxSize === 0) return;
    const batch = this.#shard.drain();
    if (batch.length === 0) return;
    this.#replicationWaits.noteDrained(batch);
    // Before anyone can acknowledge these writes, remember that their sequence numbers are taken: a restarted
    // node then never reuses one.
    const last = batch[batch.length - 1]!.seq;
    this.#sequenceMark?.raise(last);
    if (this.#journal === undefined) {
      this.#send(batch, undefined);
      return;
    }
    this.#journal.appendLocal(batch);
    this.#held.push(batch);
    this.#sendHeld();
  }

  /** Pumps now and resolves once every batch held for the disk has been sent (or refused by it). */
  async flush(): Promise<void> {
    this.pump();
    while (this.#sending !== undefined) await this.#sending;
  }

  /** An idle node flushes at once (on the next turn of the event loop); a busy one fills batches meanwhile. */
  scheduleFlush(): void {
    if (this.#flushScheduled || !this.#running()) return;
    this.#flushScheduled = true;
    this.#timers.setTimeout(() => {
      this.#flushScheduled = false;
      this.pump();
    }, 0);
  }

  /** A peer came up: the live stream resumes, and writes recovered from disk go out once. */
  peerUp(): void {
    // Writes made while the peer was away reach it through its own catch-up from us.
    this.scheduleFlush();
    if (this.#recoveredOutbox.length > 0) {
      // Writes recovered from disk that may never have left this node before it stopped.
      this.#send(this.#recoveredOutbox, undefined);
      this.#recoveredOutbox = [];
    }
  }

  /** Applies a peer's batch, keeps what was new on disk, and relays it to the other peers. */
  receive(batch: readonly CheckedMutation[], from: string): void {
    const result = this.#shard.apply(batch, from);
    if (this.#journal !== undefined && result.relay.length > 0) this.#journal.appendApplied(result.relay.filter((m) => this.notForged(m)));
    if (result.rejected > 0) {
      const first = result.reasons[0];
      this.#log(`${SESSION_PREFIX}rejected ${result.rejected} of ${plural(batch.length, 'write')} from '${from}'${first ? `: ${first.reason}` : ''}`);
    }
    // Relay what was new here to every other peer, so a cluster need not be a full mesh.
    if (result.relay.length > 0) this.#send(result.relay, from);
  }

  /** False for a write claiming this node's origin with a seq it never used: the shard refused it, the disk must not keep it. */
  notForged(version: { readonly origin: string; readonly seq: number }): boolean {
    return version.origin !== this.#shard.origin || version.seq <= this.#shard.localSeq;
  }

  /**
   * Sends the held batches, in order, that are on disk; waits for the first one that is not yet (retried at each
   * pump while the disk is full). A write leaves the process only once it is durable here: a restart from disk
   * then never reuses a sequence number a peer holds, and never skips one (no gap in the peers' vectors).
   */
  #sendHeld(): void {
    if (this.#sending !== undefined || this.#journal === undefined) return;
    while (this.#held.length > 0) {
      const batch = this.#held[0]!;
      const pending = this.#journal.whenOwnDurable(batch[batch.length - 1]!.seq);
      if (pending !== undefined) {
        this.#sending = pending.then(
          () => {
            this.#sending = undefined;
            this.#sendHeld();
          },
          () => {
            this.#sending = undefined; // the disk refused it (logged): the next pump tries again
          },
        );
        return;
      }
      this.#held.shift();
      this.#send(batch, undefined);
    }
  }

  /** Sends a batch to every up peer but `except`, each getting only the writes under its interests. */
  #send(batch: readonly Mutation[], except: string | undefined): void {
    // Also with no peer up: a broadcast medium takes it anyway (NATS's log keeps it for nodes yet to come).
    let everyoneWantsEverything = true;
    for (const peer of this.#peers.values()) if (peer.interests.length !== 0) everyoneWantsEverything = false;
    if (everyoneWantsEverything) {
      // The same array the transport handed us (a relay of a whole batch) goes out as the bytes it came in.
      this.#transport.publish(batch, except === undefined ? undefined : { except });
      return;
    }
    for (const [node, peer] of this.#peers) {
      if (node === except) continue;
      const wanted = peer.interests.length === 0 ? batch : batch.filter((m) => wants(peer.interests, m));
      if (wanted.length > 0) this.#transport.publish(wanted, { to: node });
    }
  }
}

/** Whether a peer replicating `interests` wants `mutation`: a write under one of them, or a delete of a subtree holding one. */
function wants(interests: readonly string[], mutation: Mutation): boolean {
  return touchesAnySubtree(mutation.path, interests, mutation.op === 'delete');
}
