import { isUnder } from './path.js';

// The interest and authority rule, written once: whether a write at a path reaches the subtree at a prefix.

/**
 * True when a write at `path` touches the subtree rooted at `prefix`: `path` is in it (segment-aware: `scene`
 * never touches `scenery`), or the write removes a subtree (a delete) and `prefix` lies under `path`.
 * The empty prefix is the whole tree.
 */
export function touchesSubtree(path: string, prefix: string, removesSubtree: boolean): boolean {
  return isUnder(path, prefix) || (removesSubtree && isUnder(prefix, path));
}

/**
 * True when a write at `path` touches at least one of the subtrees at `prefixes` (see {@link touchesSubtree}):
 * the interest rule of a replica that holds `prefixes`. An empty list is the whole tree.
 */
export function touchesAnySubtree(path: string, prefixes: readonly string[], removesSubtree: boolean): boolean {
  if (prefixes.length === 0) return true;
  for (const prefix of prefixes) if (touchesSubtree(path, prefix, removesSubtree)) return true;
  return false;
}

/**
 * The most specific of `prefixes` that `path` is in (the longest one it is under, segment-aware), or undefined
 * when it is in none: the authority rule, where a path takes the mode of the most specific mount above it.
 */
export function mostSpecificPrefix(path: string, prefixes: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const prefix of prefixes) if ((best === undefined || prefix.length > best.length) && isUnder(path, prefix)) best = prefix;
  return best;
}
