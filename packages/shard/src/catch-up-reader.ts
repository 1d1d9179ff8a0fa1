import { isUnderAny, touchesAnySubtree } from '@statemesh/contracts';
import type { CheckedEntry, SnapshotPage, Version, VersionVector } from '@statemesh/contracts';
import type { LocalLog } from './local-log.js';
import type { OriginIndex } from './origin-index.js';
import type { PathRecord, Tombstone } from './path-record.js';
import type { PathTree } from './path-tree.js';
import { heldPayload, utf8 } from './value-decode.js';

/**
 * What a replica hands to a peer: every entry and tombstone it lacks (`since`, through the per-origin index), or
 * everything (`snapshot`), in pages; the last page carries the vector the peer may claim once all are applied.
 */
export class CatchUpReader {
  readonly #tree: PathTree;
  readonly #index: OriginIndex;
  readonly #isLive: (origin: string, seq: number, path: string) => boolean;
  readonly #log: LocalLog;
  readonly #origin: string;
  readonly #vector: () => Record<string, number>;

  constructor(tree: PathTree, index: OriginIndex, isLive: (origin: string, seq: number, path: string) => boolean, log: LocalLog, origin: string, vector: () => Record<string, number>) {
    this.#tree = tree;
    this.#index = index;
    this.#isLive = isLive;
    this.#log = log;
    this.#origin = origin;
    this.#vector = vector;
  }

  /** Pages of what a peer at `vector` lacks under `prefixes` (checked by the caller; empty: everything). */
  *since(vector: VersionVector, prefixes: readonly string[], pageSize: number): Generator<SnapshotPage, void, undefined> {
    const taken = this.#pageVector();
    const paths: string[] = [];
    for (const origin of this.#index.origins()) {
      this.#index.forEachAfter(origin, vector[origin] ?? 0, this.#isLive, (_seq, path) => {
        if (touchesAnySubtree(path, prefixes, true)) paths.push(path);
      });
    }
    let page: CheckedEntry[] = [];
    const seenPaths = new Set<string>();
    for (const path of paths) {
      if (seenPaths.has(path)) continue; // a value and a tombstone at one path are both emitted below
      seenPaths.add(path);
      const before = page.length;
      this.#entriesAt(path, prefixes, page);
      if (page.length === before) {
        const cover = this.#tree.coveringTombstone(path);
        if (cover !== undefined) page.push(tombstoneEntry(cover[0], cover[1]));
      }
      if (page.length >= pageSize) {
        yield { entries: this.#publishable(page), last: false };
        page = [];
      }
    }
    yield { entries: this.#publishable(page), last: true, vector: taken };
  }

  /** Pages of every value and tombstone under `prefixes` (tombstones at or above a prefix included). */
  *snapshot(prefixes: readonly string[], pageSize: number): Generator<SnapshotPage, void, undefined> {
    const taken = this.#pageVector();
    const tree = this.#tree;
    let page: CheckedEntry[] = [];
    for (const path of tree.tombstonePaths()) {
      const tombstone = tree.get(path)?.tombstone;
      if (tombstone !== undefined && touchesAnySubtree(path, prefixes, true)) page.push(tombstoneEntry(path, tombstone));
    }
    const wanted = (path: string, record: PathRecord): CheckedEntry[] | undefined => {
      if (record.type === '') return undefined;
      page.push(valueEntry(path, record));
      if (page.length < pageSize) return undefined;
      const full = page;
      page = [];
      return full;
    };
    if (prefixes.length === 0) {
      for (const [path, record] of tree.records()) {
        const full = wanted(path, record);
        if (full !== undefined) yield { entries: this.#publishable(full), last: false };
      }
    } else {
      const distinct = [...new Set(prefixes)];
      for (const prefix of distinct) {
        // Each prefix's subtree in path order; a prefix inside another one is skipped (its paths are there).
        if (distinct.some((other) => other !== prefix && isUnderAny(prefix, [other]))) continue;
        const full: CheckedEntry[][] = [];
        tree.forEachUnder(prefix, (path, record) => {
          const filled = wanted(path, record);
          if (filled !== undefined) full.push(filled);
        });
        for (const entries of full) yield { entries: this.#publishable(entries), last: false };
      }
    }
    yield { entries: this.#publishable(page), last: true, vector: taken };
  }

  #entriesAt(path: string, prefixes: readonly string[], out: CheckedEntry[]): void {
    const record = this.#tree.get(path);
    if (record === undefined) return;
    if (record.tombstone !== undefined) out.push(tombstoneEntry(path, record.tombstone));
    if (record.type !== '' && isUnderAny(path, prefixes)) out.push(valueEntry(path, record));
  }

  /**
   * The vector a snapshot or catch-up hands out: this replica's, except that it never claims a local write whose
   * value is still being stored as a blob. Such a write leaves only once stored, as a blob reference; a peer
   * that counted it seen from a page would drop that mutation as a duplicate and keep other bytes.
   */
  #pageVector(): Record<string, number> {
    const vector = this.#vector();
    const firstPending = this.#log.firstOffloading();
    if (firstPending !== undefined && (vector[this.#origin] ?? 0) >= firstPending) vector[this.#origin] = firstPending - 1;
    return vector;
  }

  /** `entries` without local writes whose value is still being stored as a blob (see `#pageVector`). */
  #publishable(entries: CheckedEntry[]): CheckedEntry[] {
    if (this.#log.firstOffloading() === undefined) return entries;
    return entries.filter((entry) => entry.version.origin !== this.#origin || !this.#log.isOffloading(entry.version.seq));
  }
}

// The entries built here are checked: every record was checked when it was written here or decoded from a peer.

/** A value as an entry; `prev` as the record keeps it (absent: overwrote nothing; null: unknown) becomes the entry's. */
function valueEntry(path: string, record: PathRecord): CheckedEntry {
  const held = heldPayload(record.payload);
  const payload = typeof held === 'string' ? utf8(held) : held;
  const version = { hlc: record.hlc, origin: record.origin, seq: record.seq };
  const prev: Version | null | undefined = record.prev;
  if (prev === null) return { path, version, tombstone: false, type: record.type, payload } as CheckedEntry;
  return { path, version, tombstone: false, type: record.type, payload, prev: prev ?? null } as CheckedEntry;
}

function tombstoneEntry(path: string, tombstone: Tombstone): CheckedEntry {
  const version = { hlc: tombstone.hlc, origin: tombstone.origin, seq: tombstone.seq };
  return (tombstone.prev === undefined ? { path, version, tombstone: true, type: '' } : { path, version, tombstone: true, type: '', prev: tombstone.prev }) as CheckedEntry;
}
