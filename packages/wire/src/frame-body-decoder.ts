// Over ~400 lines: one hand-written decoder per frame kind of the frozen schema, each range-checking its fields;
// splitting them apart would scatter the shared reader helpers they all use.
import protobuf from 'protobufjs/minimal.js';
import { isStatemeshError } from '@statemesh/contracts';
import type { BlobRef, CheckedEntry, CheckedMutation, Entry, Mutation, Op, Payload, Version, VersionVector } from '@statemesh/contracts';
import { malformedFrame } from './frame-error.js';
import { frameProblem } from './frame-validation.js';
import { FRAME_KIND, MAX_ACK_HELD, MAX_HEARTBEAT_LINKS } from './frame.js';
import type { Frame, HeartbeatFrame, MutationsFrame, SnapshotPageFrame, UnknownFrame } from './frame.js';

type Reader = protobuf.Reader;

// Wire types of replication.proto's fields; tags below are (field number << 3 | wire type), frozen there.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The frame in `body`, the protobuf message of frame kind `kind`; an `UnknownFrame` for a kind this version does
 * not know. Throws `MALFORMED_FRAME` for bytes that are not a valid message of that kind, or whose content is
 * invalid (bad path or id, unknown op, seq not a positive integer, malformed digest...).
 */
export function decodeFrameBody(kind: number, body: Uint8Array): Frame | UnknownFrame {
  if (!(body instanceof Uint8Array)) throw malformedFrame('the frame body is not a Uint8Array');
  if (!isKind(kind)) return { kind: 'unknown', code: kind };
  const reader = readerOf(body);
  return decodeFrom(kind, reader, body.length);
}

/** True for the kind numbers this version decodes. */
export function isKnownKind(kind: number): boolean {
  return isKind(kind);
}

/** Decodes the frame of (known) `kind` from `reader` up to `end`; shared with the envelope decoder. */
export function decodeFrom(kind: number, reader: Reader, end: number): Frame {
  let frame: Frame;
  try {
    frame = readFrame(kind, reader, end);
  } catch (error) {
    if (isStatemeshError(error)) throw error;
    throw malformedFrame(`kind ${kind} body does not parse as protobuf (${(error as Error)?.message ?? String(error)})`, error);
  }
  const problem = frameProblem(frame, 'check');
  if (problem !== undefined) throw malformedFrame(problem);
  return frame;
}

/**
 * Node's `Buffer` where the runtime has one (its UTF-8 decoding of short strings is faster than `TextDecoder`'s),
 * taken from the global scope so that a browser, which has none, needs no `node:buffer`.
 */
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const UTF8 = new TextDecoder();

/** UTF-8 text of `bytes[start, end)`; invalid sequences become U+FFFD on both paths. */
const decodeUtf8: (bytes: Uint8Array, start: number, end: number) => string =
  NodeBuffer === undefined
    ? (bytes, start, end) => UTF8.decode(bytes.subarray(start, end))
    : typeof (NodeBuffer.prototype as { utf8Slice?: unknown }).utf8Slice === 'function'
      ? // What `toString('utf8', start, end)` calls after checking its arguments (in range here).
        (bytes, start, end) => (bytes as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end)
      : (bytes, start, end) => (bytes as Buffer).toString('utf8', start, end);

/** A protobufjs reader over `bytes` without copying (in Node a Buffer view, so that strings decode natively). */
export function readerOf(bytes: Uint8Array): Reader {
  if (NodeBuffer === undefined) return protobuf.Reader.create(bytes);
  const buffer = NodeBuffer.isBuffer(bytes) ? bytes : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return protobuf.Reader.create(buffer);
}

function isKind(kind: number): boolean {
  return Number.isInteger(kind) && kind >= FRAME_KIND.hello && kind <= FRAME_KIND.ack;
}

function readFrame(kind: number, r: Reader, end: number): Frame {
  switch (kind) {
    case FRAME_KIND.hello: {
      let node = '', cluster = '', minVersion = 0, maxVersion = 0, heartbeatIntervalMs = 0, instance = '';
      let vector: VersionVector = {};
      const interests: string[] = [], capabilities: string[] = [];
      while (r.pos < end) {
        const t = r.uint32();
        switch (t) {
          case (1 << 3) | LEN: node = readString(r); break;
          case (2 << 3) | LEN: cluster = readString(r); break;
          case (3 << 3) | VARINT: minVersion = readUint(r); break;
          case (4 << 3) | VARINT: maxVersion = readUint(r); break;
          case (5 << 3) | LEN: vector = readVector(r); break;
          case (6 << 3) | LEN: interests.push(readString(r)); break;
          case (7 << 3) | LEN: capabilities.push(readString(r)); break;
          case (8 << 3) | VARINT: heartbeatIntervalMs = readUint(r); break;
          case (9 << 3) | LEN: instance = readString(r); break;
          default: skip(r, t);
        }
      }
      checkEnd(r, end);
      const hello: Frame = { kind: 'hello', node, cluster, minVersion, maxVersion, vector, interests, capabilities };
      if (heartbeatIntervalMs !== 0) hello.heartbeatIntervalMs = heartbeatIntervalMs;
      if (instance !== '') hello.instance = instance;
      return hello;
    }
    case FRAME_KIND.mutations:
      return readMutations(r, end);
    case FRAME_KIND.snapshotRequest: {
      let requestId = 0, pageSize: number | undefined, vector: VersionVector | undefined;
      const prefixes: string[] = [];
      while (r.pos < end) {
        const t = r.uint32();
        switch (t) {
          case (1 << 3) | VARINT: requestId = readUint(r); break;
          case (2 << 3) | LEN: prefixes.push(readString(r)); break;
          case (3 << 3) | LEN: vector = readVector(r); break;
          case (4 << 3) | VARINT: pageSize = readUint(r); break;
          default: skip(r, t);
        }
      }
      checkEnd(r, end);
      const frame: Frame = { kind: 'snapshot-request', requestId, prefixes };
      if (vector !== undefined) frame.vector = vector;
      if (pageSize !== undefined) frame.pageSize = pageSize;
      return frame;
    }
    case FRAME_KIND.snapshotPage: {
      let requestId = 0, last = false, vector: VersionVector | undefined, error: string | undefined;
      const entries: Entry[] = [];
      while (r.pos < end) {
        const t = r.uint32();
        switch (t) {
          case (1 << 3) | VARINT: requestId = readUint(r); break;
          case (2 << 3) | LEN: entries.push(readEntry(r)); break;
          case (3 << 3) | VARINT: last = readUint(r) !== 0; break;
          case (4 << 3) | LEN: vector = readVector(r); break;
          case (5 << 3) | LEN: error = readString(r); break;
          default: skip(r, t);
        }
      }
      checkEnd(r, end);
      // Checked (entryProblem) by decodeFrom before the frame leaves this module.
      const frame: SnapshotPageFrame = { kind: 'snapshot-page', requestId, entries: entries as CheckedEntry[], last };
      if (vector !== undefined) frame.vector = vector;
      if (error !== undefined) frame.error = error;
      return frame;
    }
    case FRAME_KIND.chunkRequest: {
      let requestId = 0, digest = '';
      while (r.pos < end) {
        const t = r.uint32();
        switch (t) {
          case (1 << 3) | VARINT: requestId = readUint(r); break;
          case (2 << 3) | LEN: digest = readString(r); break;
          default: skip(r, t);
        }
      }
      checkEnd(r, end);
      return { kind: 'chunk-request', requestId, digest };
    }
    case FRAME_KIND.chunkResponse: {
      let requestId = 0, digest = '', found = false, data = EMPTY;
      while (r.pos < end) {
        const t = r.uint32();
        switch (t) {
          case (1 << 3) | VARINT: requestId = readUint(r); break;
          case (2 << 3) | LEN: digest = readString(r); break;
          case (3 << 3) | VARINT: found = readUint(r) !== 0; break;
          case (4 << 3) | LEN: data = readBytes(r); break;
          default: skip(r, t);
        }
      }
      checkEnd(r, end);
      return { kind: 'chunk-response', requestId, digest, found, data };
    }
    case FRAME_KIND.heartbeat: {
      let node = '', sentAtMs = 0, linkCount = 0;
      const links: string[] = [];
      while (r.pos < end) {
        const t = r.uint32();
        switch (t) {
          case (1 << 3) | LEN: node = readString(r); break;
          case (2 << 3) | VARINT: sentAtMs = readUint(r); break;
          case (3 << 3) | LEN:
            if (links.length >= MAX_HEARTBEAT_LINKS) throw malformedFrame(`heartbeat.links lists more than ${MAX_HEARTBEAT_LINKS} peers`);
            links.push(readString(r));
            break;
          case (4 << 3) | VARINT: linkCount = readUint(r); break;
          default: skip(r, t);
        }
      }
      checkEnd(r, end);
      const heartbeat: HeartbeatFrame = { kind: 'heartbeat', node, sentAtMs };
      if (links.length > 0) heartbeat.links = links;
      if (linkCount !== 0) heartbeat.linkCount = linkCount;
      return heartbeat;
    }
    case FRAME_KIND.ack: {
      let vector: VersionVector = {};
      const held: string[] = [];
      while (r.pos < end) {
        const t = r.uint32();
        if (t === ((1 << 3) | LEN)) vector = readVector(r);
        else if (t === ((2 << 3) | LEN)) {
          if (held.length >= MAX_ACK_HELD) throw malformedFrame(`ack.held lists more than ${MAX_ACK_HELD} digests`);
          held.push(readString(r));
        } else skip(r, t);
      }
      checkEnd(r, end);
      return held.length > 0 ? { kind: 'ack', vector, held } : { kind: 'ack', vector };
    }
    default: {
      let reason = '';
      let code = '';
      while (r.pos < end) {
        const t = r.uint32();
        if (t === ((1 << 3) | LEN)) reason = readString(r);
        else if (t === ((2 << 3) | LEN)) code = readString(r);
        else skip(r, t);
      }
      checkEnd(r, end);
      return code === '' ? { kind: 'goodbye', reason } : { kind: 'goodbye', reason, code };
    }
  }
}

const EMPTY: Uint8Array = new Uint8Array(0);

function readMutations(r: Reader, end: number): MutationsFrame {
  const mutations: Mutation[] = [];
  let compressed: MutationsFrame['compressed'];
  while (r.pos < end) {
    const t = r.uint32();
    if (t === ((1 << 3) | LEN)) mutations.push(readMutation(r));
    else if (t === ((2 << 3) | LEN)) {
      const stop = subEnd(r);
      let codec = '', rawSize = 0, data = EMPTY;
      while (r.pos < stop) {
        const u = r.uint32();
        switch (u) {
          case (1 << 3) | LEN: codec = readString(r); break;
          case (2 << 3) | VARINT: rawSize = readUint(r); break;
          case (3 << 3) | LEN: data = readBytes(r); break;
          default: skip(r, u);
        }
      }
      checkEnd(r, stop);
      compressed = { codec, rawSize, data };
    } else skip(r, t);
  }
  checkEnd(r, end);
  // Checked (mutationProblem) by decodeFrom before the frame leaves this module.
  const checked = mutations as CheckedMutation[];
  return compressed === undefined ? { kind: 'mutations', mutations: checked } : { kind: 'mutations', mutations: checked, compressed };
}

function readMutation(r: Reader): Mutation {
  const stop = subEnd(r);
  let origin = '', seq = 0, hlc = 0n, path = '', opCode = 0, type = '';
  let prev: Version | undefined, payload: Payload | undefined;
  while (r.pos < stop) {
    const t = r.uint32();
    switch (t) {
      case (1 << 3) | LEN: origin = readRepeatedString(r); break;
      case (2 << 3) | VARINT: seq = readUint(r); break;
      case (3 << 3) | FIXED64: hlc = readFixed64(r); break;
      case (4 << 3) | LEN: prev = readVersion(r); break;
      case (5 << 3) | LEN: path = readString(r); break;
      case (6 << 3) | VARINT: opCode = readUint(r); break;
      case (7 << 3) | LEN: type = readRepeatedString(r); break;
      case (8 << 3) | LEN: payload = readPayload(r); break;
      case (9 << 3) | LEN: payload = readBlobRef(r); break;
      default: skip(r, t);
    }
  }
  checkEnd(r, stop);
  const op: Op = opCode === 1 ? 'set' : opCode === 2 ? 'delete' : (`op ${opCode}` as Op); // refused by validation
  if (prev === undefined) {
    return payload === undefined ? { hlc, origin, seq, path, op, type } : { hlc, origin, seq, path, op, type, payload };
  }
  return payload === undefined ? { hlc, origin, seq, path, op, type, prev } : { hlc, origin, seq, path, op, type, payload, prev };
}

function readEntry(r: Reader): Entry {
  const stop = subEnd(r);
  let path = '', tombstone = false, type = '';
  let version: Version | undefined, payload: Payload | undefined, prev: Version | null | undefined;
  while (r.pos < stop) {
    const t = r.uint32();
    switch (t) {
      case (1 << 3) | LEN: path = readString(r); break;
      case (2 << 3) | LEN: version = readVersion(r); break;
      case (7 << 3) | LEN: prev = readVersion(r); break;
      case (8 << 3) | VARINT: prev = readUint(r) !== 0 ? null : undefined; break;
      case (3 << 3) | VARINT: tombstone = readUint(r) !== 0; break;
      case (4 << 3) | LEN: type = readRepeatedString(r); break;
      case (5 << 3) | LEN: payload = readPayload(r); break;
      case (6 << 3) | LEN: payload = readBlobRef(r); break;
      default: skip(r, t);
    }
  }
  checkEnd(r, stop);
  if (version === undefined) throw malformedFrame(`snapshot entry ${JSON.stringify(path.slice(0, 80))} has no version`);
  // Object literals of a fixed shape (no spread): a page builds thousands of these.
  if (prev === undefined) return payload === undefined ? { path, version, tombstone, type } : { path, version, tombstone, type, payload };
  return payload === undefined ? { path, version, tombstone, type, prev } : { path, version, tombstone, type, payload, prev };
}

function readVersion(r: Reader): Version {
  const stop = subEnd(r);
  let hlc = 0n, origin = '', seq = 0;
  while (r.pos < stop) {
    const t = r.uint32();
    switch (t) {
      case (1 << 3) | FIXED64: hlc = readFixed64(r); break;
      case (2 << 3) | LEN: origin = readRepeatedString(r); break;
      case (3 << 3) | VARINT: seq = readUint(r); break;
      default: skip(r, t);
    }
  }
  checkEnd(r, stop);
  return { hlc, origin, seq };
}

function readBlobRef(r: Reader): BlobRef {
  const stop = subEnd(r);
  let digest = '', size = 0, codec = '';
  while (r.pos < stop) {
    const t = r.uint32();
    switch (t) {
      case (1 << 3) | LEN: digest = readString(r); break;
      case (2 << 3) | VARINT: size = readUint(r); break;
      case (3 << 3) | LEN: codec = readString(r); break;
      default: skip(r, t);
    }
  }
  checkEnd(r, stop);
  return { digest, size, codec };
}

function readVector(r: Reader): VersionVector {
  const stop = subEnd(r);
  const vector: Record<string, number> = {};
  while (r.pos < stop) {
    const t = r.uint32();
    if (t !== ((1 << 3) | LEN)) {
      skip(r, t);
      continue;
    }
    const entryEnd = subEnd(r);
    let key = '', value = 0;
    while (r.pos < entryEnd) {
      const u = r.uint32();
      if (u === ((1 << 3) | LEN)) key = readString(r);
      else if (u === ((2 << 3) | VARINT)) value = readUint(r);
      else skip(r, u);
    }
    checkEnd(r, entryEnd);
    // A valid node id may be "__proto__": define it as an own property rather than setting the prototype.
    if (key === '__proto__') Object.defineProperty(vector, key, { value, enumerable: true, writable: true, configurable: true });
    else vector[key] = value;
  }
  checkEnd(r, stop);
  return vector;
}

/** Reads a length prefix and returns where that nested message ends, refusing one that runs past the input. */
function subEnd(r: Reader): number {
  const length = r.uint32();
  const stop = r.pos + length;
  if (stop > r.len) throw malformedFrame(`a nested message of ${length} bytes runs past the end of the frame`);
  return stop;
}

function checkEnd(r: Reader, end: number): void {
  if (r.pos !== end) throw malformedFrame(`a field runs ${r.pos - end} bytes past the end of its message`);
}

function skip(r: Reader, t: number): void {
  r.skipType(t & 7, 0, t >>> 3);
}

/** A length-prefixed bytes field (chunk data), copied into a buffer of its own: it does not pin the input. */
function readBytes(r: Reader): Uint8Array {
  const length = r.uint32();
  const start = r.pos;
  if (start + length > r.len) throw malformedFrame(`a bytes field of ${length} bytes runs past the end of the frame`);
  r.pos = start + length;
  const from = r.buf.byteOffset + start;
  return new Uint8Array(r.buf.buffer.slice(from, from + length));
}

/** A value's inline payload: copied as {@link readBytes}, a small one into a shared slab (a view into it). */
function readPayload(r: Reader): Uint8Array {
  const length = r.uint32();
  const start = r.pos;
  if (start + length > r.len) throw malformedFrame(`a bytes field of ${length} bytes runs past the end of the frame`);
  r.pos = start + length;
  return copyOut(r.buf, start, length);
}

// Small payloads are copied into a shared slab (as Node's Buffer pool does) rather than each into an ArrayBuffer
// of its own: one backing store per 8 KiB instead of one per value. A value held for long pins at most its slab.
const SLAB_BYTES = 8192;
const MAX_SLAB_COPY = 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/** A copy of `length` bytes of `buf` from `start`, not sharing memory with `buf`. */
function copyOut(buf: Uint8Array, start: number, length: number): Uint8Array {
  if (length > MAX_SLAB_COPY) return new Uint8Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + length));
  if (slabUsed + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const at = slabUsed;
  slab.set(new Uint8Array(buf.buffer, buf.byteOffset + start, length), at); // a plain view: Buffer#subarray is slower
  slabUsed = (at + length + 7) & ~7;
  return new Uint8Array(slab.buffer, at, length);
}

/** A length-prefixed UTF-8 string. */
function readString(r: Reader): string {
  const length = r.uint32();
  const start = r.pos;
  const end = start + length;
  if (end > r.len) throw malformedFrame(`a string of ${length} bytes runs past the end of the frame`);
  r.pos = end;
  return decodeUtf8(r.buf, start, end);
}

/**
 * A short string that repeats across messages (origin ids, value types): looked up in a small direct-mapped
 * cache by its bytes, so that a batch from a few origins decodes each origin once rather than once per mutation.
 */
function readRepeatedString(r: Reader): string {
  const length = r.uint32();
  const start = r.pos;
  const end = start + length;
  if (end > r.len) throw malformedFrame(`a string of ${length} bytes runs past the end of the frame`);
  r.pos = end;
  const buf = r.buf;
  if (length === 0) return '';
  if (length > MAX_CACHED_STRING) return decodeUtf8(buf, start, end);
  const slot = (length * 31 + buf[start]! * 7 + buf[end - 1]! * 3 + buf[start + (length >> 1)]!) & (STRING_CACHE_SIZE - 1);
  const cached = CACHED_BYTES[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (cached[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return CACHED_TEXT[slot]!;
  }
  const text = decodeUtf8(buf, start, end);
  CACHED_BYTES[slot] = new Uint8Array(buf.subarray(start, end)); // a copy: the input may be reused by its owner
  CACHED_TEXT[slot] = text;
  return text;
}

const MAX_CACHED_STRING = 64;
const STRING_CACHE_SIZE = 64;
const CACHED_BYTES: Array<Uint8Array | undefined> = Array.from({ length: STRING_CACHE_SIZE }, () => undefined);
const CACHED_TEXT: Array<string | undefined> = Array.from({ length: STRING_CACHE_SIZE }, () => undefined);

/** A uint64 varint that must fit a safe integer (counts, ids, sizes). */
function readUint(r: Reader): number {
  const buf = r.buf;
  let pos = r.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= r.len) throw malformedFrame('a varint is cut off by the end of the frame');
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      r.pos = pos;
      if (value > MAX_SAFE) throw malformedFrame(`integer ${value} is above 2^53 - 1`);
      return value;
    }
    scale *= 128;
  }
  throw malformedFrame('a varint is longer than 10 bytes');
}

/** A fixed64 as an exact bigint. */
function readFixed64(r: Reader): bigint {
  const pos = r.pos;
  if (pos + 8 > r.len) throw malformedFrame('a fixed64 is cut off by the end of the frame');
  const buf = r.buf;
  // Through an 8-byte scratch DataView: composing the bigint from two 32-bit halves allocates three bigints.
  SCRATCH_BYTES[0] = buf[pos]!;
  SCRATCH_BYTES[1] = buf[pos + 1]!;
  SCRATCH_BYTES[2] = buf[pos + 2]!;
  SCRATCH_BYTES[3] = buf[pos + 3]!;
  SCRATCH_BYTES[4] = buf[pos + 4]!;
  SCRATCH_BYTES[5] = buf[pos + 5]!;
  SCRATCH_BYTES[6] = buf[pos + 6]!;
  SCRATCH_BYTES[7] = buf[pos + 7]!;
  r.pos = pos + 8;
  return SCRATCH.getBigUint64(0, true);
}

const SCRATCH = new DataView(new ArrayBuffer(8));
const SCRATCH_BYTES = new Uint8Array(SCRATCH.buffer);
