import { isStatemeshError, nodeOfOrigin, touchesAnySubtree } from '@statemesh/contracts';
import type { CheckedEntry, CheckedMutation, Payload } from '@statemesh/contracts';
import { unpack } from '@statemesh/hlc';
import type { RejectGate } from './apply-result.js';
import type { Batch } from './batch.js';
import { CatchUpRefusals } from './catch-up-refusals.js';
import { ClockSkew } from './clock-skew.js';
import type { Mounts } from './mounts.js';
import type { SeenSet } from './seen-set.js';
import type { ShardCounters } from './shard-counters.js';
import type { ShardClock, ShardPartition } from './shard-options.js';

const MAX_REASONS = 1000;
const PREFIX = '@statemesh/shard: ';

/** What admission reads of the rest of the shard. */
export interface AdmissionHost {
  readonly nodeId: string;
  /** The origin of this node's writes. */
  readonly origin: string;
  readonly clock: ShardClock;
  readonly seen: SeenSet;
  readonly counters: ShardCounters;
  readonly log: (line: string) => void;
  /** This node's highest local seq so far. */
  localSeq(): number;
  /** The one string object kept for `origin`. */
  intern(origin: string): string;
}

/** The gates a remote write passes, as configured. */
export interface AdmissionRules {
  readonly interests: readonly string[];
  readonly partition: ShardPartition | undefined;
  readonly enforcePartition: boolean;
  readonly mounts: Mounts | undefined;
  readonly maxValue: number;
}

/**
 * The gates of remote writes, in order: duplicate (by `(origin, seq)`), size (an inline value over
 * `maxValueBytes`), own origin (a seq this node never used), authority (mounts), interests, partition (sets
 * only), then the clock: the writes' hybrid times are merged into this node's clock, and a write too far ahead is
 * refused. Each refusal is counted and explained. The writes' shape is not checked here: they are
 * `CheckedMutation`s and `CheckedEntry`s, checked once by the wire decoder that turned a peer's bytes into them.
 */
export class Admission {
  readonly #host: AdmissionHost;
  readonly #rules: AdmissionRules;
  readonly #gated: boolean;
  readonly catchUpRefusals = new CatchUpRefusals();
  readonly clockSkew = new ClockSkew();
  /** Peers already told about (logged once) for sending writes under this node's own origin. */
  readonly #forgers = new Set<string>();

  constructor(host: AdmissionHost, rules: AdmissionRules) {
    this.#host = host;
    this.#rules = rules;
    this.#gated = rules.interests.length > 0 || rules.enforcePartition;
  }

  /**
   * The mutations of `batch` that pass every gate, in order (the batch itself when all do), and those turned away
   * by the interest or partition gate yet seen here for the first time (still relayed to peers).
   */
  mutations(batch: readonly CheckedMutation[], from: string, into: Batch): { accepted: CheckedMutation[]; relayGated: CheckedMutation[] | undefined } {
    const host = this.#host;
    const seen = host.seen;
    const mounts = this.#rules.mounts;
    const maxValue = this.#rules.maxValue;
    let candidates: CheckedMutation[] | undefined;
    let relayGated: CheckedMutation[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const mutation = batch[i]!;
      let keep = false;
      if (seen.has(mutation.origin, mutation.seq)) {
        into.duplicate++;
      } else if (inlineBytes(mutation.payload) > maxValue) {
        this.#refuseSize(into, mutation, mutation.path, mutation.payload as Uint8Array, from);
      } else if (mutation.origin === host.origin && mutation.seq > host.localSeq()) {
        this.#refuseOwnOrigin(into, mutation, mutation.path, from);
      } else if (mounts !== undefined && this.#refuseUnderAuthority(into, mutation, mutation.path, mutation.op === 'delete', from)) {
        // Neither seen nor relayed: the vector stays below it (DESIGN section 2).
      } else {
        const gate = this.#gated ? this.#gate(mutation.path, mutation.op === 'delete') : undefined;
        if (gate === undefined) keep = true;
        else if (seen.add(host.intern(mutation.origin), mutation.seq)) {
          (relayGated ??= []).push(mutation);
          this.reject(into, gate[0], mutation, gate[1]);
        } else into.duplicate++;
      }
      if (keep) candidates?.push(mutation);
      else candidates ??= batch.slice(0, i);
    }
    const list = candidates ?? (batch as CheckedMutation[]);
    return { accepted: this.#mergeClock(list, into, hlcOfMutation, describeMutation, from, false), relayGated };
  }

  /** The snapshot or catch-up entries that pass every gate; refusals that matter to the catch-up are recorded. */
  entries(entries: readonly CheckedEntry[], from: string, into: Batch): CheckedEntry[] {
    const host = this.#host;
    const candidates: CheckedEntry[] = [];
    for (const entry of entries) {
      const { origin, seq } = entry.version;
      if (host.seen.has(origin, seq)) {
        into.duplicate++; // already applied live, or claimed by an earlier catch-up
        continue;
      }
      if (inlineBytes(entry.payload) > this.#rules.maxValue) {
        this.#refuseSize(into, entry.version, entry.path, entry.payload as Uint8Array, from);
        this.catchUpRefusals.record(from, origin, seq);
        continue;
      }
      if (origin === host.origin && seq > host.localSeq()) {
        this.#refuseOwnOrigin(into, entry.version, entry.path, from);
        this.catchUpRefusals.record(from, origin, seq);
        continue;
      }
      if (this.#rules.mounts !== undefined && this.#refuseUnderAuthority(into, entry.version, entry.path, entry.tombstone, from)) {
        this.catchUpRefusals.record(from, origin, seq);
        continue;
      }
      const gate = this.#gate(entry.path, entry.tombstone);
      if (gate !== undefined) {
        this.reject(into, gate[0], entry.version, gate[1], entry.path);
        continue;
      }
      candidates.push(entry);
    }
    return this.#mergeClock(candidates, into, hlcOfEntry, describeEntry, from, true);
  }

  /** Counts a refusal by `gate` in `into`, with its reason (the first 1 000 of a batch). */
  reject(into: Batch, gate: RejectGate, version: { origin?: unknown; seq?: unknown; path?: unknown } | undefined, reason: string, path?: unknown): void {
    into.rejected++;
    this.#host.counters.gates[gate]++;
    if (into.reasons.length < MAX_REASONS) {
      into.reasons.push({
        gate,
        origin: typeof version?.origin === 'string' ? version.origin : '',
        seq: typeof version?.seq === 'number' ? version.seq : 0,
        path: typeof (path ?? version?.path) === 'string' ? String(path ?? version?.path) : '',
        reason,
      });
    }
  }

  /** Which gate (interest or partition) turns a remote write at `path` away, with the reason; undefined to pass. */
  #gate(path: string, isDelete: boolean): [RejectGate, string] | undefined {
    const { interests, enforcePartition, partition } = this.#rules;
    if (!touchesAnySubtree(path, interests, isDelete)) {
      return ['interest', `path '${path}' is outside the interests of node '${this.#host.nodeId}' (${interests.join(', ')})`];
    }
    // Deletes remove subtrees whose paths hash to every node, so every node applies them.
    if (enforcePartition && !isDelete) {
      const owner = partition!.ownerOf(path);
      const nodeId = this.#host.nodeId;
      if (owner !== nodeId) {
        return ['partition', owner === undefined ? `path '${path}' is assigned to no node by the partition, not '${nodeId}'` : `path '${path}' partitioned to node '${owner}', not '${nodeId}'`];
      }
    }
    return undefined;
  }

  /**
   * Merges the hybrid times of the accepted writes into the clock: once with the greatest (the usual case),
   * or one by one when that one drifts too far, rejecting just the writes whose time is too far ahead.
   */
  #mergeClock<T>(candidates: T[], into: Batch, hlcOf: (item: T) => bigint, describe: (item: T) => { origin: string; seq: number; path: string }, from: string, isCatchUp: boolean): T[] {
    if (candidates.length === 0) return candidates;
    const clock = this.#host.clock;
    let max = hlcOf(candidates[0]!);
    for (const item of candidates) if (hlcOf(item) > max) max = hlcOf(item);
    try {
      clock.update(unpack(max));
      if (this.clockSkew.size > 0) for (const item of candidates) this.#clockAcceptable(describe(item).origin);
      return candidates;
    } catch (error) {
      if (!isStatemeshError(error, 'CLOCK_DRIFT')) throw error;
    }
    const accepted: T[] = [];
    for (const item of candidates) {
      try {
        clock.update(unpack(hlcOf(item)));
        accepted.push(item);
        if (this.clockSkew.size > 0) this.#clockAcceptable(describe(item).origin);
      } catch (error) {
        if (!isStatemeshError(error, 'CLOCK_DRIFT')) throw error;
        const { origin, seq, path } = describe(item);
        this.reject(into, 'clock', { origin, seq }, `write ${origin}:${seq} at '${path}' rejected: ${error.message}`, path);
        if (isCatchUp) this.catchUpRefusals.record(from, origin, seq, true);
        const aheadMs = Number((error.details as { aheadMs?: unknown } | undefined)?.aheadMs ?? Number.NaN);
        const node = nodeOfOrigin(origin);
        if (this.clockSkew.refused(node, aheadMs)) {
          this.#host.log(`${PREFIX}writes of node '${node}' (received from '${from}') are ${aheadMs} ms ahead of this node's clock, past its drift bound: refused until the clocks agree, then caught up; further refusals are counted (rejected.clock) without a log line`);
        }
      }
    }
    return accepted;
  }

  #clockAcceptable(origin: string): void {
    const node = nodeOfOrigin(origin);
    if (this.clockSkew.accepted(node)) this.#host.log(`${PREFIX}writes of node '${node}' are within the clock drift bound again`);
  }

  /** Refuses a remote write under this node's own origin with a seq it never used; logs once per peer. */
  #refuseOwnOrigin(into: Batch, version: { origin: string; seq: number }, path: string, from: string): void {
    const reason = `write ${version.origin}:${version.seq} at '${path}' from '${from}' claims this node's own origin with a sequence number it never used (its latest is ${this.#host.localSeq()}); refused`;
    this.reject(into, 'origin', version, reason, path);
    if (this.#forgers.size < MAX_REASONS && !this.#forgers.has(from)) {
      this.#forgers.add(from);
      this.#host.log(`${PREFIX}${reason}; further such writes from '${from}' are refused and counted (rejected.origin) without a log line`);
    }
  }

  /** Refuses (and counts) a remote write whose inline value is longer than this replica accepts. */
  #refuseSize(into: Batch, version: { origin: string; seq: number }, path: string, payload: Uint8Array, from: string): void {
    this.reject(into, 'size', version, `write ${version.origin}:${version.seq} at '${path}' from '${from}' refused: its inline value of ${payload.byteLength} bytes is over maxValueBytes ${this.#rules.maxValue}`, path);
  }

  /** Refuses (and counts) a remote write touching a subtree this node is authoritative for; true when refused. */
  #refuseUnderAuthority(into: Batch, version: { origin: string; seq: number }, path: string, isDelete: boolean, from: string): boolean {
    const mount = this.#rules.mounts!.touched(path, 'authoritative', isDelete);
    if (mount === undefined) return false;
    this.reject(into, 'authority', version, `write ${version.origin}:${version.seq} at '${path}' from '${from}' refused: node '${this.#host.nodeId}' is authoritative for '${mount}'`, path);
    return true;
  }
}

/** Bytes of an inline payload (0 for a blob reference or none). */
const inlineBytes = (payload: Payload | undefined): number => (payload instanceof Uint8Array ? payload.byteLength : 0);
const hlcOfMutation = (mutation: CheckedMutation): bigint => mutation.hlc;
const describeMutation = (mutation: CheckedMutation): { origin: string; seq: number; path: string } => mutation;
const hlcOfEntry = (entry: CheckedEntry): bigint => entry.version.hlc;
const describeEntry = (entry: CheckedEntry): { origin: string; seq: number; path: string } => ({ ...entry.version, path: entry.path });
