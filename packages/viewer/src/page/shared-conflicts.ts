// Conflicts every viewer sees: a conflict is recorded only by the nodes that received both writes (DESIGN
// section 2), so a tab that got only the winner would never know. Each viewer writes the conflicts it records
// to `<scene>.conflicts.<key>` (one key per pair of writes, so two viewers that saw the same conflict write the
// same entry), and shows the union. Conflicts on that prefix itself are not written again (no cascade).
import type { Conflict, Session } from '@statemesh/session/browser';

/** A conflict as shown: from this replica or from the tree. */
export interface SharedConflict {
  readonly key: string;
  readonly path: string;
  readonly winner: string;
  readonly loser: string;
  readonly seenBy: string;
  readonly at: number;
}

/** Publishes this replica's recent conflicts under `prefix` and lists the shared ones, newest first. */
export class SharedConflicts {
  readonly #session: Session;
  readonly #prefix: string;
  readonly #written = new Set<string>();

  constructor(session: Session, prefix: string) {
    this.#session = session;
    this.#prefix = prefix;
  }

  /** Writes the conflicts recorded here since the last call; returns the newest `max` of every viewer's. */
  update(max: number): SharedConflict[] {
    for (const shared of this.#unwritten()) {
      if (this.#written.has(shared.key)) continue; // the same pair recorded twice
      this.#written.add(shared.key);
      const { key, ...value } = shared;
      this.#session.set(`${this.#prefix}.${key}`, value);
    }
    const listed = this.#session.entries(this.#prefix).flatMap((entry) => {
      const c = parse(entry.path.slice(this.#prefix.length + 1), entry.value);
      return c === undefined ? [] : [c];
    });
    return listed.sort((a, b) => b.at - a.at).slice(0, max);
  }

  /** How many conflicts this replica has written to the tree. */
  shared(): number {
    return this.#written.size;
  }

  /** How many conflicts recorded here are not written to the tree yet (the next `update` writes them). */
  unshared(): number {
    return this.#unwritten().length;
  }

  #unwritten(): SharedConflict[] {
    return this.#session.recentConflicts(16).flatMap((conflict) => {
      if (conflict.path === this.#prefix || conflict.path.startsWith(`${this.#prefix}.`)) return [];
      const shared = fromConflict(conflict, this.#session.nodeId);
      return this.#written.has(shared.key) ? [] : [shared];
    });
  }
}

function fromConflict(conflict: Conflict, seenBy: string): SharedConflict {
  const winner = `${conflict.winner.origin}#${conflict.winner.seq}`;
  const loser = `${conflict.loser.origin}#${conflict.loser.seq}`;
  // A path segment is 1-128 of [A-Za-z0-9_-].
  const key = `${winner}-${loser}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
  return { key, path: conflict.path, winner, loser, seenBy, at: conflict.at };
}

function parse(key: string, value: unknown): SharedConflict | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const text = (x: unknown) => (typeof x === 'string' ? x.slice(0, 300) : undefined);
  const [path, winner, loser, seenBy] = [text(v['path']), text(v['winner']), text(v['loser']), text(v['seenBy'])];
  if (path === undefined || winner === undefined || loser === undefined || seenBy === undefined || typeof v['at'] !== 'number') return undefined;
  return { key, path, winner, loser, seenBy, at: v['at'] };
}
