import { compareVersions, isUnder } from '@statemesh/contracts';
import type { CheckedEntry, CheckedMutation, Entry, Mutation, RecoveredReplica, ReplicaIdentity, ReplicaScope, Version } from '@statemesh/contracts';
import type { StoreRecord } from './record-codec.js';

/**
 * The replica a log describes, folded record by record the way the shard applies them: last-writer-wins per
 * path, a tombstone removes every older entry under it, the vector only rises (a `scope` record sets it anew).
 * What recovery returns and what a snapshot writes.
 *
 * A snapshot's entries (winners at distinct paths, most of a restart) are kept as they were read, in `#base`,
 * never put in a map: the records after the snapshot fold into `values` and `tombstones`, and {@link entries}
 * merges the two by the same rules, looking base entries up only where the log after it touched their paths.
 */
export class ReplicaState {
  identity: ReplicaIdentity | undefined;
  incarnation = 0;
  sequence = 0;
  replicated = 0;
  readonly vector: Record<string, number> = {};
  /** The scope of the last `scope` record. */
  scope: ReplicaScope | undefined;
  /** Values and tombstones of the records after the snapshot (all of them when there is none). */
  readonly values = new Map<string, Entry>();
  readonly tombstones = new Map<string, Entry>();
  /** The snapshot's entries, in pages as read. */
  readonly #base: (readonly Entry[])[] = [];
  #baseSize = 0;
  /** The snapshot's tombstones by path, built when a later entry must be checked against them. */
  #baseTombstones: Map<string, Entry> | undefined;
  #merged: Entry[] | undefined;
  #outbox: CheckedMutation[] = [];
  /** Highest seq seen per origin in any write or entry (this node's own gives `lastSequence`). */
  readonly #ownSeqs = new Map<string, number>();

  /** Folds one record in. `fromSnapshot`: the record comes from a snapshot (entries are winners at distinct paths). */
  apply(record: StoreRecord, fromSnapshot = false): void {
    this.#merged = undefined;
    if (fromSnapshot && (record.kind === 'entries' || record.kind === 'packed')) {
      this.#addBase(record.entries);
      return;
    }
    switch (record.kind) {
      case 'packed':
        throw new Error('a packed record outside a snapshot');
      case 'local':
        for (const m of record.mutations) {
          if (!fromSnapshot) this.#mutation(m); // a snapshot's outbox is already among its entries
          else this.#seen(m);
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
      case 'scope':
        // The vector recorded so far was built under the old scope: the record's replaces it.
        for (const origin of Object.keys(this.vector)) delete this.vector[origin];
        Object.assign(this.vector, record.vector);
        this.scope = record.scope;
        return;
      case 'sequence':
        if (record.seq > this.sequence) this.sequence = record.seq;
        return;
      case 'replicated':
        if (record.seq > this.replicated) this.replicated = record.seq;
        return;
      case 'collected':
        // What a dropped tombstone covered depends on the order of the records around it: fold the snapshot's
        // entries into the maps first (rare: a session appends no such record today).
        if (this.#baseSize > 0) this.#materialize();
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

  /** How many entries the snapshot read held. */
  get snapshotEntries(): number {
    return this.#baseSize;
  }

  /** Every entry held: tombstones first, then values (each path at most once of each kind). */
  entries(): Entry[] {
    this.#merged ??= this.#merge();
    return this.#merged;
  }

  /** This node's writes still owed to peers: not covered by `replicated`, and still the winner at their path. */
  outbox(): CheckedMutation[] {
    if (this.#outbox.length === 0) return this.#outbox;
    const winners = new Map<string, Entry>();
    const wanted = new Set(this.#outbox.map((m) => m.path));
    for (const e of this.entries()) if (wanted.has(e.path)) winners.set(`${e.tombstone ? 't' : 'v'}${e.path}`, e);
    this.#outbox = this.#outbox.filter((m) => {
      if (m.seq <= this.replicated) return false;
      const held = winners.get(`${m.op === 'set' ? 'v' : 't'}${m.path}`);
      return held !== undefined && held.version.origin === m.origin && held.version.seq === m.seq;
    });
    return this.#outbox;
  }

  /** The highest sequence number `nodeId` may have used. */
  lastSequence(nodeId: string): number {
    return Math.max(this.sequence, this.vector[nodeId] ?? 0, this.#ownSeqs.get(nodeId) ?? 0);
  }

  /**
   * Everything recovery hands back. Its entries and outbox are checked writes: folded from this node's own
   * records (checksummed on disk, decoded by the wire decoder or the packed layout's; or, in memory, appended by
   * the session from its shard's checked writes), never from a peer's bytes that the wire decoder did not check.
   */
  recovered(nodeId: string, truncatedBytes: number): RecoveredReplica {
    return {
      entries: this.entries() as CheckedEntry[],
      vector: { ...this.vector },
      scope: this.scope,
      incarnation: this.incarnation,
      lastSequence: this.lastSequence(nodeId),
      outbox: this.outbox(),
      truncatedBytes,
    };
  }

  #addBase(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.#base.push(entries);
    this.#baseSize += entries.length;
    // Per origin, only the highest seq of the page matters.
    let origin = '';
    let seq = 0;
    for (const e of entries) {
      const v = e.version;
      if (v.origin !== origin) {
        if (origin !== '') this.#seen({ origin, seq });
        origin = v.origin;
        seq = v.seq;
      } else if (v.seq > seq) seq = v.seq;
      if (e.tombstone) this.#baseTombstones = undefined;
    }
    this.#seen({ origin, seq });
  }

  /** The base entries the later records leave standing, then the later ones the base does not beat. */
  #merge(): Entry[] {
    const tail = this.values.size + this.tombstones.size;
    if (tail === 0) {
      const all: Entry[] = [];
      for (const page of this.#base) for (let i = 0; i < page.length; i++) all.push(page[i]!);
      return all;
    }
    const out: Entry[] = [];
    /** Base entries at paths the later records hold too, by kind, to judge those later entries. */
    const beaten = new Set<Entry>();
    const tailTombstones = this.tombstones.size > 0;
    for (const page of this.#base) {
      for (const e of page) {
        if (e.tombstone) {
          const later = this.tombstones.get(e.path);
          if (later !== undefined) {
            if (compareVersions(later.version, e.version) >= 0) continue;
            beaten.add(later);
          }
          if (tailTombstones && this.#coveredBy(this.tombstones, e, false)) continue;
        } else {
          const later = this.values.get(e.path);
          if (later !== undefined) {
            if (compareVersions(later.version, e.version) > 0) continue;
            beaten.add(later);
          }
          if (tailTombstones && this.#coveredBy(this.tombstones, e, true)) continue;
        }
        out.push(e);
      }
    }
    const baseTombstones = this.#baseTombstoneMap();
    for (const t of this.tombstones.values()) if (!beaten.has(t) && !(baseTombstones.size > 0 && this.#coveredBy(baseTombstones, t, false))) out.push(t);
    for (const v of this.values.values()) if (!beaten.has(v) && !(baseTombstones.size > 0 && this.#coveredBy(baseTombstones, v, true))) out.push(v);
    // Tombstones first, then values, as a snapshot writes them.
    const tombstones = out.filter((e) => e.tombstone);
    if (tombstones.length === 0) return out;
    return [...tombstones, ...out.filter((e) => !e.tombstone)];
  }

  /** The snapshot's tombstones by path. */
  #baseTombstoneMap(): Map<string, Entry> {
    if (this.#baseTombstones === undefined) {
      this.#baseTombstones = new Map();
      for (const page of this.#base) for (const e of page) if (e.tombstone) this.#baseTombstones.set(e.path, e);
    }
    return this.#baseTombstones;
  }

  /** The snapshot's entries and the records after it, folded into the maps (the snapshot is kept apart no more). */
  #materialize(): void {
    const merged = this.#merge();
    this.values.clear();
    this.tombstones.clear();
    for (const e of merged) (e.tombstone ? this.tombstones : this.values).set(e.path, e);
    this.#base.length = 0;
    this.#baseSize = 0;
    this.#baseTombstones = undefined;
    this.#merged = undefined;
  }

  /**
   * True when a tombstone of `tombstones` newer than `entry` is at its path (for a value; `atPath`) or above it:
   * the fold would have dropped the entry.
   */
  #coveredBy(tombstones: Map<string, Entry>, entry: Entry, atPath: boolean): boolean {
    let path = entry.path;
    let self = true;
    for (;;) {
      if (!self || atPath) {
        const tombstone = tombstones.get(path);
        if (tombstone !== undefined && compareVersions(tombstone.version, entry.version) > 0) return true;
      }
      if (path === '') return false;
      self = false;
      const dot = path.lastIndexOf('.');
      path = dot < 0 ? '' : path.slice(0, dot);
    }
  }

  #mutation(m: Mutation): void {
    const version: Version = { hlc: m.hlc, origin: m.origin, seq: m.seq };
    this.#seen(version);
    if (m.op === 'set') this.#set({ path: m.path, version, tombstone: false, type: m.type, payload: m.payload });
    else this.#delete({ path: m.path, version, tombstone: true, type: '' });
  }

  #seen(version: { readonly origin: string; readonly seq: number }): void {
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
    return this.#coveredBy(this.tombstones, entry, true);
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

