import { StatemeshError, isValidId, isValidOrigin, isValidPath } from '@statemesh/contracts';
import type { VersionVector } from '@statemesh/contracts';
import { config, invalidId, invalidPath } from './shard-errors.js';

const PREFIX = '@statemesh/shard: ';
const DEFAULT_PAGE_SIZE = 1000;

// Checks of the arguments of the shard's replication API and options.

/** The page size asked for (default 1000); throws `INVALID_ARGUMENT` unless a positive integer. */
export function pageSizeOf(pageSize: number | undefined): number {
  if (pageSize === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}pageSize must be a positive integer (got ${pageSize})`);
  return pageSize;
}

/** Throws `INVALID_ARGUMENT` unless `vector` maps valid origins to non-negative integers. */
export function checkVector(vector: VersionVector): void {
  if (typeof vector !== 'object' || vector === null) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}a version vector must be an object of node id -> seq`);
  for (const [origin, seq] of Object.entries(vector)) {
    if (!isValidOrigin(origin)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}vector entry ${JSON.stringify(String(origin))} is not a valid origin`);
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}vector entry '${origin}' seq ${String(seq)} is not a non-negative integer`);
  }
}

/** `value` when an integer >= `min`, `fallback` when absent; throws `INVALID_CONFIG` otherwise. */
export function positiveInteger(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw config(`${name} must be an integer >= ${min} (got ${value})`);
  return value;
}

/** The prefixes asked for (`''` among them, or none: the whole tree, `[]`); throws `INVALID_PATH` on a bad one. */
export function checkPrefixes(prefixes: readonly string[] | undefined): readonly string[] {
  if (prefixes === undefined) return [];
  for (const prefix of prefixes) if (!isValidPath(prefix)) throw invalidPath(prefix);
  return prefixes.includes('') ? [] : prefixes;
}

/** The peers' vectors as a list; throws `INVALID_ID` / `INVALID_ARGUMENT` on a bad node id or vector. */
export function checkPeers(peers: Readonly<Record<string, VersionVector>>): [string, VersionVector][] {
  const list = Object.entries(peers);
  for (const [node, vector] of list) {
    if (!isValidId(node)) throw invalidId('peer', node);
    checkVector(vector);
  }
  return list;
}
