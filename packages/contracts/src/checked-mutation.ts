import { isDigest } from './blob-store.js';
import { StatemeshError } from './error.js';
import { isBlobRef } from './mutation.js';
import type { BlobRef, Entry, Mutation, Payload } from './mutation.js';
import { isValidPath } from './path.js';
import { isValidOrigin as isOriginId } from './version.js';
import type { Version } from './version.js';

// The structural rule of a write as it travels, written once: `@statemesh/wire`'s decoder applies it to every
// mutation and entry a peer sends, the shard's local writes produce only writes that pass it, and nothing
// re-checks it in between. What is checked here is shape (path, op, type, payload, hlc and seq ranges); what a
// replica admits (clock drift, its own origin, authority, interests) is decided by the replica, not here.

declare const checked: unique symbol;

/**
 * A mutation known to pass {@link mutationProblem}: one decoded by `@statemesh/wire` (from a peer's bytes or this
 * node's own log), or one a shard made for a local write. The shard applies it without re-checking its shape.
 */
export type CheckedMutation = Mutation & { readonly [checked]: true };

/** A snapshot or catch-up entry known to pass {@link entryProblem} (see {@link CheckedMutation}). */
export type CheckedEntry = Entry & { readonly [checked]: true };

const TYPE = /^[A-Za-z0-9][A-Za-z0-9_.+/-]{0,127}$/;
const MAX_UINT64 = (1n << 64n) - 1n;

/** True when `type` is a valid value type: 1-128 characters of `[A-Za-z0-9_.+/-]`, starting with a letter or digit. */
export function isValidType(type: unknown): type is string {
  return typeof type === 'string' && TYPE.test(type);
}

// Problems are phrased relative to the element (".path ... is not a valid path"), so that a caller can prefix
// where it sits ("mutations[3]") and checking a valid batch builds no strings.

/** What is wrong with the shape of `m`, relative to it (".path ..."), or undefined when it is a well-formed mutation. */
export function mutationProblem(m: Mutation): string | undefined {
  if (typeof m !== 'object' || m === null) return ' is not an object';
  const version = versionProblem(m, '');
  if (version !== undefined) return version;
  if (!isValidPath(m.path)) return `.path ${show(m.path)} is not a valid path`;
  if (typeof m.type !== 'string') return '.type is not a string';
  if (m.op === 'set') {
    if (m.path === '') return ' is a set of the root path';
    if (!knownType(m.type)) return `.type ${show(m.type)} is not a valid value type`;
    if (m.payload === undefined) return ' is a set without a payload';
    const payload = payloadProblem(m.payload);
    if (payload !== undefined) return payload;
  } else if (m.op === 'delete') {
    if (m.payload !== undefined) return ' is a delete with a payload';
  } else {
    return `.op ${show(m.op)} is neither "set" nor "delete"`;
  }
  if (m.prev === undefined) return undefined;
  if (typeof m.prev !== 'object' || m.prev === null) return '.prev is not a version';
  return versionProblem(m.prev, '.prev');
}

/** What is wrong with the shape of `e`, relative to it, or undefined when it is a well-formed snapshot entry. */
export function entryProblem(e: Entry): string | undefined {
  if (typeof e !== 'object' || e === null) return ' is not an object';
  if (!isValidPath(e.path)) return `.path ${show(e.path)} is not a valid path`;
  if (typeof e.version !== 'object' || e.version === null) return '.version is missing';
  const version = versionProblem(e.version, '.version');
  if (version !== undefined) return version;
  if (typeof e.type !== 'string') return '.type is not a string';
  if (e.prev !== undefined && e.prev !== null) {
    if (typeof e.prev !== 'object') return '.prev is not a version';
    const prev = versionProblem(e.prev, '.prev');
    if (prev !== undefined) return prev;
  }
  if (e.tombstone === true) return e.payload === undefined ? undefined : ' is a tombstone with a payload';
  if (e.tombstone !== false) return '.tombstone is not a boolean';
  if (e.path === '') return ' is a value at the root path';
  if (!knownType(e.type)) return `.type ${show(e.type)} is not a valid value type`;
  if (e.payload === undefined) return ' is a value without a payload';
  return payloadProblem(e.payload);
}

/**
 * `mutation` as a checked mutation, for a caller that builds one by hand (a test, a tool replaying a log); throws
 * `INVALID_ARGUMENT` saying what is malformed. Peers' mutations come checked from the wire decoder.
 */
export function checkMutation(mutation: Mutation, label = 'mutation'): CheckedMutation {
  const problem = mutationProblem(mutation);
  if (problem !== undefined) throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/contracts: ${label}${problem}`);
  return mutation as CheckedMutation;
}

/** `mutations` as checked mutations (see {@link checkMutation}); throws naming the first malformed one. */
export function checkMutations(mutations: readonly Mutation[]): CheckedMutation[] {
  if (!Array.isArray(mutations)) throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/contracts: checkMutations needs an array of mutations');
  for (let i = 0; i < mutations.length; i++) checkMutation(mutations[i]!, `mutations[${i}]`);
  return mutations as CheckedMutation[];
}

/** `entry` as a checked snapshot entry (see {@link checkMutation}); throws `INVALID_ARGUMENT` saying what is malformed. */
export function checkEntry(entry: Entry, label = 'entry'): CheckedEntry {
  const problem = entryProblem(entry);
  if (problem !== undefined) throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/contracts: ${label}${problem}`);
  return entry as CheckedEntry;
}

/** `entries` as checked entries (see {@link checkMutation}); throws naming the first malformed one. */
export function checkEntries(entries: readonly Entry[]): CheckedEntry[] {
  if (!Array.isArray(entries)) throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/contracts: checkEntries needs an array of entries');
  for (let i = 0; i < entries.length; i++) checkEntry(entries[i]!, `entries[${i}]`);
  return entries as CheckedEntry[];
}

/** `at`: where the version sits in its element ("", ".version", ".prev"). */
function versionProblem(v: Version, at: string): string | undefined {
  if (typeof v.hlc !== 'bigint' || v.hlc < 0n || v.hlc > MAX_UINT64) return `${at}.hlc ${show(v.hlc)} is not a bigint in 0-2^64-1`;
  if (!knownOrigin(v.origin)) return `${at}.origin ${show(v.origin)} is not a valid origin`;
  if (!isCount(v.seq) || v.seq < 1) return `${at}.seq ${show(v.seq)} is not a positive integer`;
  return undefined;
}

function payloadProblem(payload: Payload): string | undefined {
  if (payload instanceof Uint8Array) return undefined;
  if (typeof payload !== 'object' || payload === null || !isBlobRef(payload)) return '.payload is neither bytes nor a blob ref';
  return blobRefProblem(payload);
}

function blobRefProblem(ref: BlobRef): string | undefined {
  if (!isDigest(ref.digest)) return `.payload.digest ${show(ref.digest)} is not a SHA-256 digest (64 lowercase hex characters)`;
  if (!isCount(ref.size)) return `.payload.size ${show(ref.size)} is not a non-negative integer`;
  if (typeof ref.codec !== 'string' || ref.codec === '') return '.payload.codec is empty';
  return undefined;
}

// Batches repeat a few origins and types many times: remember those already found valid (bounded sets) and skip
// re-checking them.
const MAX_REMEMBERED = 1024;
const validOrigins = new Set<string>();
const validTypes = new Set<string>();

function knownOrigin(origin: unknown): boolean {
  if (typeof origin !== 'string') return false;
  if (validOrigins.has(origin)) return true;
  if (!isOriginId(origin)) return false;
  if (validOrigins.size >= MAX_REMEMBERED) validOrigins.clear();
  validOrigins.add(origin);
  return true;
}

function knownType(type: string): boolean {
  if (validTypes.has(type)) return true;
  if (!TYPE.test(type)) return false;
  if (validTypes.size >= MAX_REMEMBERED) validTypes.clear();
  validTypes.add(type);
  return true;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? JSON.stringify(`${value.slice(0, 77)}...`) : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  return `(${typeof value})`;
}
