import { compareVersions, isUnder } from '@statemesh/contracts';
import type { Entry, Mutation, RecoveredReplica, ReplicaIdentity, Version } from '@statemesh/contracts';
import type { StoreRecord } from './record-codec.js';

/**
 * The replica a log describes, folded record by record the way the shard applies them: last-writer-wins per
 * path, a tombstone removes every older entry under it, the vector only rises. What recovery returns and what a
 * snapshot writes.
 */
export class ReplicaState {
  identity: ReplicaIdentity | undefined;
  incarnation = 0;
  sequence = 0;
  replicated = 0;
  readonly vector: Record<string, number> = {};
  readonly values = new Map<string, Entry>();
  readonly tombstones = new Map<string, Entry>();
  #outbox: Mutation[] = [];
  /** Highest seq seen per origin in any write or entry (this node's own gives `lastSequence`). */
  readonly #ownSeqs = new Map<string, number>();

  /**
   * Folds one record in. `fromSnapshot`: the record comes from a snapshot, whose entries are already the winners
   * at distinct paths, so they are taken without comparing (restart time is mostly this loop).
   */
  apply(record: StoreRecord, fromSnapshot = false): void {
    if (fromSnapshot && record.kind === 'entries') {
      for (const e of record.entries) {
        this.#seen(e.version);
        (e.tombstone ? this.tombstones : this.values).set(e.path, e);
      }
      return;
    }
    switch (record.kind) {
      case 'local':
        for (const m of record.mutations) {
          this.#mutation(m);
          if (m.seq > this.replicated) this.#outbox.push(m);
        }
        return;
      case 'applied':
        for (const m of record.mutations) this.#mutation(m);
        return;
      case 'entries':
        for (const e of record.entries) {
          this.#seen(e.version);
          if (e.tombstone) this.#delete(e);
          else this.#set(e);
        }
        return;
      case 'vector':
        for (const [origin, seq] of Object.entries(record.vector)) if ((this.vector[origin] ?? 0) < seq) this.vector[origin] = seq;
        return;
      case 'sequence':
        if (record.seq > this.sequence) this.sequence = record.seq;
        return;
      case 'replicated':
        if (record.seq > this.replicated) this.replicated = record.seq;
        return;
      case 'collected':
        for (const t of record.tombstones) {
          const held = this.tombstones.get(t.path);
          if (held !== undefined && compareVersions(held.version, t.version) === 0) this.tombstones.delete(t.path);
        }
        return;
      case 'identity':
        this.identity ??= record.identity;
        return;
      case 'incarnation':
        if (record.incarnation > this.incarnation) this.incarnation = record.incarnation;
        return;
      case 'end':
        return;
    }
  }

  /** This node's writes still owed to peers: not covered by `replicated`, and still the winner at their path. */
  outbox(): Mutation[] {
    this.#outbox = this.#outbox.filter((m) => {
      if (m.seq <= this.replicated) return false;
      const held = m.op === 'set' ? this.values.get(m.path) : this.tombstones.get(m.path);
      return held !== undefined && held.version.origin === m.origin && held.version.seq === m.seq;
    });
    return this.#outbox;
  }

  /** The highest sequence number `nodeId` may have used. */
  lastSequence(nodeId: string): number {
    return Math.max(this.sequence, this.vector[nodeId] ?? 0, this.#ownSeqs.get(nodeId) ?? 0);
  }

  /** Everything recovery hands back. */
  recovered(nodeId: string, truncatedBytes: number): RecoveredReplica {
    return {
      entries: [...this.tombstones.values(), ...this.values.values()],
      vector: { ...this.vector },
      incarnation: this.incarnation,
      lastSequence: this.lastSequence(nodeId),
      outbox: this.outbox(),
      truncatedBytes,
    };
  }

  #mutation(m: Mutation): void {
    const version: Version = { hlc: m.hlc, origin: m.origin, seq: m.seq };
    this.#seen(version);
    if (m.op === 'set') this.#set({ path: m.path, version, tombstone: false, type: m.type, payload: m.payload });
    else this.#delete({ path: m.path, version, tombstone: true, type: '' });
  }

  #seen(version: Version): void {
    if ((this.#ownSeqs.get(version.origin) ?? 0) < version.seq) this.#ownSeqs.set(version.origin, version.seq);
  }

  #set(entry: Entry): void {
    const held = this.values.get(entry.path);
    if (held !== undefined && compareVersions(held.version, entry.version) >= 0) return;
    if (this.tombstones.size > 0 && this.#coveredByTombstone(entry)) return;
    this.values.set(entry.path, entry);
  }

  /** True when a tombstone at the entry's path or above it is newer than the entry. */
  #coveredByTombstone(entry: Entry): boolean {
    let path = entry.path;
    for (;;) {
      const tombstone = this.tombstones.get(path);
      if (tombstone !== undefined && compareVersions(tombstone.version, entry.version) > 0) return true;
      if (path === '') return false;
      const dot = path.lastIndexOf('.');
      path = dot < 0 ? '' : path.slice(0, dot);
    }
  }

  #delete(entry: Entry): void {
    const held = this.tombstones.get(entry.path);
    if (held !== undefined && compareVersions(held.version, entry.version) >= 0) return;
    if (this.#coveredByTombstone(entry)) return;
    this.tombstones.set(entry.path, entry);
    // Older values under the path go, and older tombstones below it, which this one now covers.
    for (const [path, value] of this.values) {
      if (isUnder(path, entry.path) && compareVersions(value.version, entry.version) < 0) this.values.delete(path);
    }
    for (const [path, tombstone] of this.tombstones) {
      if (path !== entry.path && isUnder(path, entry.path) && compareVersions(tombstone.version, entry.version) < 0) this.tombstones.delete(path);
    }
  }
}
