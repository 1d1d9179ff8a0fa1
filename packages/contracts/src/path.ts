import { StatemeshError } from './error.js';

/** Longest path in bytes (UTF-8; every valid path is ASCII, so bytes equal characters). */
export const MAX_PATH_BYTES = 1024;
/** Longest single segment in characters. */
export const MAX_SEGMENT_LENGTH = 128;
/** Longest node or cluster id in characters. */
export const MAX_ID_LENGTH = 64;
/** The prefix reserved for the library's own metrics. */
export const SYSTEM_PREFIX = '__system';

const SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `path` is the empty root path or dot-separated segments of `[A-Za-z0-9_-]`, ≤ 1024 bytes. */
export function isValidPath(path: unknown): path is string {
  if (typeof path !== 'string') return false;
  const length = path.length;
  if (length > MAX_PATH_BYTES) return false;
  // One pass over the characters: what /^[A-Za-z0-9_-]{1,128}(?:\.[A-Za-z0-9_-]{1,128})*$/ says, several times faster.
  let segment = 0;
  for (let i = 0; i < length; i++) {
    const c = path.charCodeAt(i);
    if (c === 46 /* . */) {
      if (segment === 0) return false;
      segment = 0;
    } else if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45) {
      if (++segment > MAX_SEGMENT_LENGTH) return false;
    } else return false;
  }
  return length === 0 || segment > 0;
}

/** Throws `INVALID_PATH` unless {@link isValidPath}; returns the path for chaining. */
export function assertPath(path: unknown, label = 'path'): string {
  if (isValidPath(path)) return path;
  throw new StatemeshError(
    'INVALID_PATH',
    `@statemesh/contracts: ${label} ${describe(path)} is not a valid path: use dot-separated segments of 1-${MAX_SEGMENT_LENGTH} characters [A-Za-z0-9_-], at most ${MAX_PATH_BYTES} bytes in all (for example "scene.camera.fov")`,
    { details: { path } },
  );
}

/** Splits a valid path into its segments (`''` gives `[]`); throws `INVALID_PATH` otherwise. */
export function parsePath(path: string): string[] {
  assertPath(path);
  return path === '' ? [] : path.split('.');
}

/** Joins segments into a path, validating each; throws `INVALID_PATH` on a bad segment. */
export function joinPath(...segments: readonly string[]): string {
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      throw new StatemeshError(
        'INVALID_PATH',
        `@statemesh/contracts: segment ${describe(segment)} is not valid: use 1-${MAX_SEGMENT_LENGTH} characters of [A-Za-z0-9_-]`,
        { details: { segment } },
      );
    }
  }
  return assertPath(segments.join('.'));
}

/**
 * Segment-aware prefix match: `isUnder('scene.x', 'scene')` and `isUnder('scene', 'scene')` are true,
 * `isUnder('scenery', 'scene')` is false. The empty prefix contains every path.
 */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 46; /* '.' */
}

/** True when `path` is under at least one of `prefixes`; an empty list means every path. */
export function isUnderAny(path: string, prefixes: readonly string[]): boolean {
  if (prefixes.length === 0) return true;
  for (const prefix of prefixes) if (isUnder(path, prefix)) return true;
  return false;
}

/** True when `path` lies in the reserved `__system` subtree. */
export function isSystemPath(path: string): boolean {
  return isUnder(path, SYSTEM_PREFIX);
}

/** True when `id` is a valid node or cluster id: 1-64 characters of `[A-Za-z0-9_-]`. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id);
}

/** Throws `INVALID_ID` unless {@link isValidId}; `label` names the argument in the message. */
export function assertId(id: unknown, label = 'id'): string {
  if (isValidId(id)) return id;
  throw new StatemeshError(
    'INVALID_ID',
    `@statemesh/contracts: ${label} ${describe(id)} is not valid: use 1-${MAX_ID_LENGTH} characters of [A-Za-z0-9_-]`,
    { details: { [label]: id } },
  );
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  return value.length > 80 ? `"${value.slice(0, 77)}..." (${value.length} characters)` : `"${value}"`;
}
