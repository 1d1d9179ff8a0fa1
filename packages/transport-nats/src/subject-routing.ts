import type { Mutation } from '@statemesh/contracts';

/**
 * How batches map to subjects so that the server, not the receiver, drops what a node does not replicate
 * (PROTOCOL.md, "Subjects by subtree"): a mutation goes on the token of its path's first segment
 * (`batch.<node>.<segment>`); the delete of the root, and a path whose first segment is not a plain subject
 * token, go on {@link EVERYONE}, which every node receives. A node with interests subscribes to the tokens of
 * their first segments and to `EVERYONE`; a node without interests (or with the root as one) to every token.
 */

/** The token every node subscribes to: a delete of the root, and whatever has no token of its own. */
export const EVERYONE = '~';
/** A batch cut into more runs of one subtree than this goes whole on {@link EVERYONE}. */
export const MAX_SUBTREE_SUBJECTS = 8;

/** What a path segment may be as a subject token (contracts' path rule: every valid segment is one). */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** The subject token of `path`: its first segment, or {@link EVERYONE} for the root (and anything else). */
export function subtreeToken(path: string): string {
  const dot = path.indexOf('.');
  const first = dot === -1 ? path : path.slice(0, dot);
  return TOKEN.test(first) ? first : EVERYONE;
}

/**
 * `mutations` cut into runs of one top-level subtree each, in the batch's order (a transport keeps each sender's
 * order, and one publisher's messages reach a subscriber in order whatever their subjects). A batch of more than
 * {@link MAX_SUBTREE_SUBJECTS} runs (subtrees interleaved) goes whole on {@link EVERYONE}: one message, not many.
 */
export function splitBySubtree(mutations: readonly Mutation[]): Array<{ token: string; mutations: Mutation[] }> {
  const runs: Array<{ token: string; mutations: Mutation[] }> = [];
  for (const m of mutations) {
    const token = subtreeToken(m.path);
    const run = runs.at(-1);
    if (run?.token === token) run.mutations.push(m);
    else if (runs.length === MAX_SUBTREE_SUBJECTS) return [{ token: EVERYONE, mutations: [...mutations] }];
    else runs.push({ token, mutations: [m] });
  }
  return runs;
}

/**
 * The tokens a node with `interests` subscribes to: undefined for every token (no interests, or the root among
 * them), else the first segments of its interests and {@link EVERYONE}. A delete of a subtree that holds an
 * interest is on the interest's token (its path starts with the same first segment) or, for the root, on `EVERYONE`.
 */
export function interestTokens(interests: readonly string[]): string[] | undefined {
  if (interests.length === 0) return undefined;
  const tokens = new Set<string>([EVERYONE]);
  for (const prefix of interests) {
    if (prefix === '') return undefined;
    tokens.add(subtreeToken(prefix));
  }
  return [...tokens];
}
