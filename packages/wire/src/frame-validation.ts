import { isBlobRef, isDigest, isValidId, isValidOrigin as isOriginId, isValidPath } from '@statemesh/contracts';
import type { BlobRef, Entry, Mutation, Payload, Version, VersionVector } from '@statemesh/contracts';
import { MAX_ACK_HELD, MAX_HEARTBEAT_LINKS } from './frame.js';
import type { Frame } from './frame.js';

/** Highest protocol version the 16-bit IPC header field can carry. */
const MAX_VERSION_NUMBER = 0xffff;
const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * What is wrong with a frame's content, or `undefined` when it is valid. Shared by the encoder (which refuses to
 * send it) and the decoder (which refuses to accept it), so that both sides enforce one rule set.
 */
export function frameProblem(frame: Frame): string | undefined {
  switch (frame.kind) {
    case 'hello':
      if (!isValidId(frame.node)) return `hello.node ${show(frame.node)} is not a valid node id`;
      if (!isValidId(frame.cluster)) return `hello.cluster ${show(frame.cluster)} is not a valid cluster id`;
      if (!isVersionNumber(frame.minVersion) || !isVersionNumber(frame.maxVersion) || frame.minVersion > frame.maxVersion) {
        return `hello version range ${show(frame.minVersion)}-${show(frame.maxVersion)} is not 1 <= min <= max <= 65535`;
      }
      if (frame.heartbeatIntervalMs !== undefined && (!isCount(frame.heartbeatIntervalMs) || frame.heartbeatIntervalMs > 0xffffffff)) {
        return `hello.heartbeatIntervalMs ${show(frame.heartbeatIntervalMs)} is not an integer in 0-4294967295`;
      }
      if (frame.instance !== undefined && (typeof frame.instance !== 'string' || frame.instance.length > 64)) return 'hello.instance is not a string of at most 64 characters';
      return vectorProblem(frame.vector, 'hello.vector') ?? pathsProblem(frame.interests, 'hello.interests') ?? stringsProblem(frame.capabilities, 'hello.capabilities');
    case 'mutations':
      if (!Array.isArray(frame.mutations)) return 'mutations is not an array';
      if (frame.compressed !== undefined) {
        const c = frame.compressed;
        if (frame.mutations.length > 0) return 'a compressed mutations frame also carries plain mutations';
        if (typeof c !== 'object' || c === null) return 'mutations.compressed is not an object';
        if (typeof c.codec !== 'string' || c.codec === '') return 'mutations.compressed.codec is empty';
        if (!isCount(c.rawSize)) return `mutations.compressed.rawSize ${show(c.rawSize)} is not a non-negative integer`;
        if (!(c.data instanceof Uint8Array)) return 'mutations.compressed.data is not a Uint8Array';
        return undefined;
      }
      for (let i = 0; i < frame.mutations.length; i++) {
        const problem = mutationProblem(frame.mutations[i]!, i);
        if (problem !== undefined) return problem;
      }
      return undefined;
    case 'snapshot-request':
      if (!isCount(frame.requestId)) return `snapshot-request.requestId ${show(frame.requestId)} is not a non-negative integer`;
      if (frame.pageSize !== undefined && !(isCount(frame.pageSize) && frame.pageSize >= 1 && frame.pageSize <= 0xffffffff)) {
        return `snapshot-request.pageSize ${show(frame.pageSize)} is not an integer in 1-4294967295`;
      }
      return pathsProblem(frame.prefixes, 'snapshot-request.prefixes') ?? (frame.vector === undefined ? undefined : vectorProblem(frame.vector, 'snapshot-request.vector'));
    case 'snapshot-page':
      if (!isCount(frame.requestId)) return `snapshot-page.requestId ${show(frame.requestId)} is not a non-negative integer`;
      if (typeof frame.last !== 'boolean') return 'snapshot-page.last is not a boolean';
      if (frame.error !== undefined && typeof frame.error !== 'string') return 'snapshot-page.error is not a string';
      if (!Array.isArray(frame.entries)) return 'snapshot-page.entries is not an array';
      for (let i = 0; i < frame.entries.length; i++) {
        const problem = entryProblem(frame.entries[i]!, i);
        if (problem !== undefined) return problem;
      }
      return frame.vector === undefined ? undefined : vectorProblem(frame.vector, 'snapshot-page.vector');
    case 'chunk-request':
      if (!isCount(frame.requestId)) return `chunk-request.requestId ${show(frame.requestId)} is not a non-negative integer`;
      return isDigest(frame.digest) ? undefined : `chunk-request.digest ${show(frame.digest)} is not a SHA-256 digest (64 lowercase hex characters)`;
    case 'chunk-response':
      if (!isCount(frame.requestId)) return `chunk-response.requestId ${show(frame.requestId)} is not a non-negative integer`;
      if (!isDigest(frame.digest)) return `chunk-response.digest ${show(frame.digest)} is not a SHA-256 digest (64 lowercase hex characters)`;
      if (typeof frame.found !== 'boolean') return 'chunk-response.found is not a boolean';
      if (!(frame.data instanceof Uint8Array)) return 'chunk-response.data is not a Uint8Array';
      return !frame.found && frame.data.length > 0 ? 'chunk-response carries data but found is false' : undefined;
    case 'heartbeat':
      if (!isValidId(frame.node)) return `heartbeat.node ${show(frame.node)} is not a valid node id`;
      if (!isCount(frame.sentAtMs)) return `heartbeat.sentAtMs ${show(frame.sentAtMs)} is not a non-negative integer`;
      return linksProblem(frame.links, frame.linkCount);
    case 'goodbye':
      return typeof frame.reason === 'string' ? undefined : 'goodbye.reason is not a string';
    case 'ack':
      return vectorProblem(frame.vector, 'ack.vector') ?? heldProblem(frame.held);
    default:
      return `unknown frame kind ${show((frame as { kind?: unknown }).kind)}`;
  }
}

// The problems of one element are phrased relative to it (".path ... is not a valid path"); the caller prefixes
// "mutations[i]" only when there is one, so that checking a valid batch builds no strings.

function mutationProblem(m: Mutation, i: number): string | undefined {
  const problem = mutationProblemOf(m);
  return problem === undefined ? undefined : `mutations[${i}]${problem}`;
}

function mutationProblemOf(m: Mutation): string | undefined {
  if (typeof m !== 'object' || m === null) return ' is not an object';
  const version = versionProblem(m, '');
  if (version !== undefined) return version;
  if (!isValidPath(m.path)) return `.path ${show(m.path)} is not a valid path`;
  if (typeof m.type !== 'string') return '.type is not a string';
  if (m.op === 'set') {
    if (m.type === '') return ' is a set with an empty type';
    if (m.payload === undefined) return ' is a set without a payload';
    const payload = payloadProblem(m.payload);
    if (payload !== undefined) return payload;
  } else if (m.op === 'delete') {
    if (m.payload !== undefined) return ' is a delete with a payload';
  } else {
    return `.op ${show(m.op)} is neither "set" nor "delete"`;
  }
  return m.prev === undefined ? undefined : versionProblem(m.prev, '.prev');
}

function entryProblem(e: Entry, i: number): string | undefined {
  const problem = entryProblemOf(e);
  return problem === undefined ? undefined : `entries[${i}]${problem}`;
}

function entryProblemOf(e: Entry): string | undefined {
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
  if (e.type === '') return ' is a value with an empty type';
  if (e.payload === undefined) return ' is a value without a payload';
  return payloadProblem(e.payload);
}

/** `at`: where the version sits in its element ("", ".version", ".prev"). */
function versionProblem(v: Version, at: string): string | undefined {
  if (typeof v.hlc !== 'bigint' || v.hlc < 0n || v.hlc > MAX_UINT64) return `${at}.hlc ${show(v.hlc)} is not a bigint in 0-2^64-1`;
  if (!isValidOrigin(v.origin)) return `${at}.origin ${show(v.origin)} is not a valid origin`;
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

function heldProblem(held: readonly string[] | undefined): string | undefined {
  if (held === undefined) return undefined;
  if (!Array.isArray(held)) return 'ack.held is not an array';
  if (held.length > MAX_ACK_HELD) return `ack.held lists ${held.length} digests, over ${MAX_ACK_HELD}`;
  for (let i = 0; i < held.length; i++) if (!isDigest(held[i]!)) return `ack.held[${i}] ${show(held[i])} is not a SHA-256 digest (64 lowercase hex characters)`;
  return undefined;
}

function vectorProblem(vector: VersionVector, at: string): string | undefined {
  if (typeof vector !== 'object' || vector === null) return `${at} is not an object`;
  for (const origin in vector) {
    if (!isOriginId(origin)) return `${at} key ${show(origin)} is not a valid origin`;
    if (!isCount(vector[origin])) return `${at}[${origin}] ${show(vector[origin])} is not a non-negative integer`;
  }
  return undefined;
}

function pathsProblem(paths: readonly string[], at: string): string | undefined {
  if (!Array.isArray(paths)) return `${at} is not an array`;
  for (let i = 0; i < paths.length; i++) if (!isValidPath(paths[i])) return `${at}[${i}] ${show(paths[i])} is not a valid path`;
  return undefined;
}

function stringsProblem(strings: readonly string[], at: string): string | undefined {
  if (!Array.isArray(strings)) return `${at} is not an array`;
  for (let i = 0; i < strings.length; i++) if (typeof strings[i] !== 'string') return `${at}[${i}] is not a string`;
  return undefined;
}

// Batches repeat a few origins many times: remember the ids already found valid (a bounded set) and skip
// re-checking them.
const validOrigins = new Set<string>();
const MAX_REMEMBERED_ORIGINS = 1024;

function isValidOrigin(origin: unknown): boolean {
  if (typeof origin !== 'string') return false;
  if (validOrigins.has(origin)) return true;
  if (!isOriginId(origin)) return false;
  if (validOrigins.size >= MAX_REMEMBERED_ORIGINS) validOrigins.clear();
  validOrigins.add(origin);
  return true;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isVersionNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_VERSION_NUMBER;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? JSON.stringify(`${value.slice(0, 77)}...`) : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  return `(${typeof value})`;
}

function linksProblem(links: readonly string[] | undefined, linkCount: number | undefined): string | undefined {
  if (links !== undefined) {
    if (!Array.isArray(links)) return 'heartbeat.links is not an array';
    if (links.length > MAX_HEARTBEAT_LINKS) return `heartbeat.links lists ${links.length} peers, over ${MAX_HEARTBEAT_LINKS}`;
    for (let i = 0; i < links.length; i++) if (!isValidId(links[i]!)) return `heartbeat.links[${i}] ${show(links[i])} is not a valid node id`;
  }
  if (linkCount === undefined) return undefined;
  if (!isCount(linkCount) || linkCount > 0xffffffff) return `heartbeat.linkCount ${show(linkCount)} is not an integer in 0-4294967295`;
  return linkCount < (links?.length ?? 0) ? `heartbeat.linkCount ${linkCount} is below the ${links!.length} links listed` : undefined;
}
