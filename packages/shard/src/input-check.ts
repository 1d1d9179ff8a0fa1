import { isDigest, isValidOrigin, isValidPath } from '@statemesh/contracts';
import type { BlobRef, Entry, Mutation, Version } from '@statemesh/contracts';

const TYPE = /^[A-Za-z0-9][A-Za-z0-9_.+/-]{0,127}$/;
const MAX_HLC = (1n << 64n) - 1n;

/** True when `type` is a valid value type: 1-128 characters of `[A-Za-z0-9_.+/-]`, starting with a letter or digit. */
export function isValidType(type: unknown): type is string {
  return typeof type === 'string' && TYPE.test(type);
}

/** Strings already known to be valid (interned ids and types): a set lookup instead of a regular expression. */
export interface KnownValid {
  readonly origins: ReadonlyMap<string, string>;
  readonly types: ReadonlyMap<string, string>;
}

const NOTHING_KNOWN: KnownValid = { origins: new Map(), types: new Map() };

function pathProblem(path: unknown): string | undefined {
  return isValidPath(path) ? undefined : `path ${JSON.stringify(String(path)).slice(0, 80)} is not a valid path`;
}

/** Why `version` is not a well-formed version, or undefined when it is. */
export function versionProblem(version: Version | undefined, label: string, known = NOTHING_KNOWN): string | undefined {
  if (typeof version !== 'object' || version === null) return `${label} is not an object`;
  if (!known.origins.has(version.origin) && !isValidOrigin(version.origin)) return `${label} origin is not a valid origin`;
  const seq = version.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return `${label} seq ${String(seq)} is not a positive integer`;
  const hlc = version.hlc;
  if (typeof hlc !== 'bigint' || hlc < 0n || hlc > MAX_HLC) return `${label} hlc is not a 64-bit unsigned bigint`;
  return undefined;
}

function payloadProblem(payload: unknown, maxValueBytes: number): string | undefined {
  if (payload instanceof Uint8Array) {
    return payload.byteLength > maxValueBytes ? `inline payload of ${payload.byteLength} bytes exceeds ${maxValueBytes}` : undefined;
  }
  if (typeof payload !== 'object' || payload === null) return 'set without a payload';
  const ref = payload as BlobRef;
  if (!isDigest(ref.digest)) return 'blob ref digest is not a lowercase SHA-256 hex digest';
  if (typeof ref.size !== 'number' || !Number.isSafeInteger(ref.size) || ref.size < 0) return 'blob ref size is not a non-negative integer';
  if (typeof ref.codec !== 'string') return 'blob ref codec is not a string';
  return undefined;
}

/** Why a remote mutation is malformed, or undefined when it can be applied. */
export function mutationProblem(mutation: Mutation, maxValueBytes: number, known = NOTHING_KNOWN): string | undefined {
  if (typeof mutation !== 'object' || mutation === null) return 'mutation is not an object';
  const problem = versionProblem(mutation, 'mutation', known);
  if (problem !== undefined) return problem;
  const badPath = pathProblem(mutation.path);
  if (badPath !== undefined) return badPath;
  if (mutation.prev !== undefined) {
    const prevProblem = versionProblem(mutation.prev, 'prev', known);
    if (prevProblem !== undefined) return prevProblem;
  }
  if (mutation.op === 'set') {
    if (mutation.path === '') return 'set of the root path';
    if (!known.types.has(mutation.type) && !isValidType(mutation.type)) return `type ${JSON.stringify(String(mutation.type)).slice(0, 80)} is not a valid value type`;
    return payloadProblem(mutation.payload, maxValueBytes);
  }
  if (mutation.op === 'delete') return mutation.payload === undefined ? undefined : 'delete with a payload';
  return `op ${JSON.stringify(String(mutation.op)).slice(0, 40)} is neither set nor delete`;
}

/** Why a snapshot or catch-up entry is malformed, or undefined when it can be merged. */
export function entryProblem(entry: Entry, maxValueBytes: number, known = NOTHING_KNOWN): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'entry is not an object';
  const problem = versionProblem(entry.version, 'entry version', known);
  if (problem !== undefined) return problem;
  const badPath = pathProblem(entry.path);
  if (badPath !== undefined) return badPath;
  if (entry.prev !== undefined && entry.prev !== null) {
    const prevProblem = versionProblem(entry.prev, 'entry prev', known);
    if (prevProblem !== undefined) return prevProblem;
  }
  if (entry.tombstone === true) return entry.payload === undefined ? undefined : 'tombstone with a payload';
  if (entry.tombstone !== false) return 'entry.tombstone is not a boolean';
  if (entry.path === '') return 'entry at the root path';
  if (!known.types.has(entry.type) && !isValidType(entry.type)) return `type ${JSON.stringify(String(entry.type)).slice(0, 80)} is not a valid value type`;
  return payloadProblem(entry.payload, maxValueBytes);
}
