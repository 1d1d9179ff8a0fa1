import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StatemeshError, type RecoveredReplica, type ReplicaScope, type ReplicaStore } from '@statemesh/contracts';
import { newIncarnation, type Shard } from '@statemesh/shard';
import { FileReplicaStore } from '@statemesh/store-fs';
import { writeFileDurably } from './durable-file.js';
import { ownClaims, sameScope, scopeContains } from './replica-scope.js';

/** A replica store opened and recovered before the node joins. */
export interface OpenedReplica {
  readonly store: ReplicaStore;
  readonly recovered: RecoveredReplica;
  /** The incarnation this node writes under (kept across restarts of the same store). */
  readonly incarnation: string;
  /** The highest sequence number the node may have used in it: the next write takes one above. */
  readonly reserved: number;
}

const INCARNATION = /^[0-9a-z]{1,16}$/;
const INCARNATION_FILE = 'incarnation';

/**
 * Opens the replica store under `<dataDir>/replica` and recovers it. The node keeps its incarnation (in
 * `<dataDir>/incarnation`) for the store's whole life; a new store, one whose incarnation file is missing, or one
 * with durability `none`, starts a new incarnation (docs/adr/0004-no-reused-sequence.md): a node whose data dir was deleted never reuses
 * an `(origin, seq)` its peers hold.
 */
export async function openDurableReplica(
  options: {
    dataDir: string;
    durability: 'none' | 'batched' | 'sync';
    /** A store to use instead of the file store (a simulator's). */
    store: ReplicaStore | undefined;
    clusterId: string;
    nodeId: string;
    /** The scope this start's gates let in (`scopeOf(config)`). */
    scope: ReplicaScope;
    wallMs: number;
    log: (line: string) => void;
  },
): Promise<OpenedReplica> {
  const { dataDir, clusterId, nodeId } = options;
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (cause) {
    throw new StatemeshError('IO_ERROR', `@statemesh/session: cannot create dataDir ${dataDir}; check that its parent exists and is writable`, { cause });
  }
  const store = options.store ?? new FileReplicaStore({ dir: join(dataDir, 'replica'), durability: options.durability, log: options.log });
  let recovered = await store.open({ clusterId, nodeId });
  try {
    recovered = await rescope(store, recovered, options.scope, nodeId, options.log, dataDir);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  if (recovered.truncatedBytes > 0) options.log(`@statemesh/session: cut a torn tail of ${recovered.truncatedBytes} bytes from the log in ${dataDir} (writes never acknowledged durable)`);
  // With durability 'none' a machine crash can lose what was sent: such a disk cannot prove which sequence
  // numbers its peers hold, so every start is a new incarnation (its data still comes back).
  const kept = recovered.incarnation > 1 && options.durability !== 'none' ? readIncarnation(dataDir) : undefined;
  if (kept !== undefined) return { store, recovered, incarnation: kept, reserved: lastSequence(recovered, `${nodeId}~${kept}`) };
  const incarnation = newIncarnation(options.wallMs);
  try {
    writeIncarnation(dataDir, incarnation);
  } catch (cause) {
    await store.close().catch(() => undefined);
    throw new StatemeshError('IO_ERROR', `@statemesh/session: cannot write ${join(dataDir, INCARNATION_FILE)}; check that dataDir is writable`, { cause });
  }
  return { store, recovered, incarnation, reserved: 0 };
}

/**
 * Records this start's scope when it differs from the stored one. When the new scope lets in writes the old one
 * turned away (wider interests, other hash ranges; or no scope was recorded), the vector's claims of other nodes'
 * origins are dropped with it, in one record committed before the node talks to anyone: catch-up then fetches what
 * the old scope left out. A crash before that commit leaves the old scope recorded, so the next start drops them
 * again; once it is on disk, later vector records rise only over what this replica applied.
 */
async function rescope(store: ReplicaStore, recovered: RecoveredReplica, scope: ReplicaScope, nodeId: string, log: (line: string) => void, dataDir: string): Promise<RecoveredReplica> {
  const stored = recovered.scope;
  if (stored !== undefined && sameScope(stored, scope)) return recovered;
  const widened = stored === undefined || !scopeContains(stored, scope);
  const vector = widened ? ownClaims(recovered.vector, nodeId) : recovered.vector;
  store.append({ kind: 'scope', scope, vector });
  await store.commit();
  const dropped = Object.keys(recovered.vector).length - Object.keys(vector).length;
  if (dropped > 0) log(`@statemesh/session: the interests or partition of ${dataDir} now let in writes the old ones did not: its vector no longer claims ${dropped} other origins, so catch-up fetches what the old scope left out`);
  return { ...recovered, vector, scope };
}

/**
 * Puts what the store recovered into the node's new, empty shard (its sequence reserved first: the shard takes
 * back its own writes only below its counter), by the shard's trusted load: the store checksums every record and
 * keeps folded winners, so they are not checked, merged or announced again (`Shard.load`).
 */
export function restoreReplica(shard: Shard, opened: OpenedReplica): void {
  shard.load(opened.recovered.entries, opened.recovered.vector);
}

/**
 * The highest seq of `origin` the store holds: its writes and its vector entry. A batch leaves the process only
 * once its `local` record is on disk, and the vector record of that commit covers it, so every seq a peer may
 * hold is at or below this.
 */
function lastSequence(recovered: RecoveredReplica, origin: string): number {
  let seq = Math.max(recovered.lastSequence, recovered.vector[origin] ?? 0);
  for (const entry of recovered.entries) if (entry.version.origin === origin && entry.version.seq > seq) seq = entry.version.seq;
  for (const m of recovered.outbox) if (m.origin === origin && m.seq > seq) seq = m.seq;
  return seq;
}

function readIncarnation(dataDir: string): string | undefined {
  try {
    const text = readFileSync(join(dataDir, INCARNATION_FILE), 'latin1').trim();
    return INCARNATION.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Crash-safe: the old incarnation or the new one. */
function writeIncarnation(dataDir: string, incarnation: string): void {
  writeFileDurably(dataDir, INCARNATION_FILE, `${incarnation}\n`);
}
