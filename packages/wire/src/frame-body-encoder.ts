import protobuf from 'protobufjs/minimal.js';
import type { Entry, Mutation, Payload, Version, VersionVector } from '@statemesh/contracts';
import { invalidFrame } from './frame-error.js';
import { frameProblem } from './frame-validation.js';
import type { MutationsFrame, OutgoingFrame } from './frame.js';

type Writer = protobuf.Writer;

// Wire types and tags (field number << 3 | wire type) of replication.proto; the numbers are frozen there.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const tag = (field: number, wireType: number): number => (field << 3) | wireType;
const SCRATCH = new DataView(new ArrayBuffer(8));

/** The protobuf body of `frame` (its kind's message in replication.proto). Throws `INVALID_ARGUMENT` for an invalid frame; trusts the checked mutations and entries it carries. */
export function encodeFrameBody(frame: OutgoingFrame): Uint8Array {
  const writer = protobuf.Writer.create();
  writeFrameBody(writer, frame);
  return writer.finish();
}

/** Validates `frame` (trusting the checked mutations and entries it carries) and appends its body to `writer`; shared by the body, envelope and IPC encoders. */
export function writeFrameBody(writer: Writer, frame: OutgoingFrame): void {
  if (typeof frame !== 'object' || frame === null) throw invalidFrame(`expected a frame object, got ${frame === null ? 'null' : typeof frame}`);
  const problem = frameProblem(frame, 'trust');
  if (problem !== undefined) throw invalidFrame(problem);
  switch (frame.kind) {
    case 'hello':
      writeString(writer, 1, frame.node);
      writeString(writer, 2, frame.cluster);
      writeUint(writer, 3, frame.minVersion);
      writeUint(writer, 4, frame.maxVersion);
      writeVector(writer, 5, frame.vector);
      for (const interest of frame.interests) writeAlwaysString(writer, 6, interest);
      for (const capability of frame.capabilities) writeAlwaysString(writer, 7, capability);
      if (frame.heartbeatIntervalMs !== undefined) writeUint(writer, 8, frame.heartbeatIntervalMs);
      if (frame.instance !== undefined) writeString(writer, 9, frame.instance);
      return;
    case 'mutations':
      writeMutationsFrame(writer, frame);
      return;
    case 'snapshot-request':
      writeUint(writer, 1, frame.requestId);
      for (const prefix of frame.prefixes) writeAlwaysString(writer, 2, prefix);
      if (frame.vector !== undefined) writeVector(writer, 3, frame.vector);
      if (frame.pageSize !== undefined) {
        writer.uint32(tag(4, VARINT));
        writer.uint32(frame.pageSize);
      }
      return;
    case 'snapshot-page':
      writeUint(writer, 1, frame.requestId);
      for (const entry of frame.entries) {
        writer.uint32(tag(2, LEN));
        writer.fork();
        writeEntry(writer, entry);
        writer.ldelim();
      }
      if (frame.last) writeBool(writer, 3, true);
      if (frame.vector !== undefined) writeVector(writer, 4, frame.vector);
      if (frame.error !== undefined) writeAlwaysString(writer, 5, frame.error);
      return;
    case 'chunk-request':
      writeUint(writer, 1, frame.requestId);
      writeString(writer, 2, frame.digest);
      return;
    case 'chunk-response':
      writeUint(writer, 1, frame.requestId);
      writeString(writer, 2, frame.digest);
      if (frame.found) writeBool(writer, 3, true);
      if (frame.data.length > 0) {
        writer.uint32(tag(4, LEN));
        writer.bytes(frame.data);
      }
      return;
    case 'heartbeat':
      writeString(writer, 1, frame.node);
      writeUint(writer, 2, frame.sentAtMs);
      for (const link of frame.links ?? []) writeAlwaysString(writer, 3, link);
      if (frame.linkCount !== undefined) writeUint(writer, 4, frame.linkCount);
      return;
    case 'goodbye':
      writeString(writer, 1, frame.reason);
      if (frame.code !== undefined) writeString(writer, 2, frame.code);
      return;
    case 'ack':
      writeVector(writer, 1, frame.vector);
      for (const digest of frame.held ?? []) writeAlwaysString(writer, 2, digest);
      return;
  }
}

/**
 * The bytes of a `MutationBatch` carrying `mutations` and nothing else: what a compressed batch compresses.
 * Trusts the (checked) mutations like {@link encodeFrameBody}.
 */
export function encodeMutationList(mutations: Mutation[]): Uint8Array {
  return encodeFrameBody({ kind: 'mutations', mutations });
}

function writeMutationsFrame(writer: Writer, frame: MutationsFrame<Mutation>): void {
  for (const m of frame.mutations) {
    writer.uint32(tag(1, LEN));
    writer.fork();
    writeMutation(writer, m);
    writer.ldelim();
  }
  const c = frame.compressed;
  if (c !== undefined) {
    writer.uint32(tag(2, LEN));
    writer.fork();
    writeString(writer, 1, c.codec);
    writeUint(writer, 2, c.rawSize);
    if (c.data.length > 0) {
      writer.uint32(tag(3, LEN));
      writer.bytes(c.data);
    }
    writer.ldelim();
  }
}

function writeMutation(writer: Writer, m: Mutation): void {
  writeString(writer, 1, m.origin);
  writeUint(writer, 2, m.seq);
  writeFixed64(writer, 3, m.hlc);
  if (m.prev !== undefined) {
    writer.uint32(tag(4, LEN));
    writer.fork();
    writeVersion(writer, m.prev);
    writer.ldelim();
  }
  writeString(writer, 5, m.path);
  writer.uint32(tag(6, VARINT));
  writer.uint32(m.op === 'set' ? 1 : 2);
  writeString(writer, 7, m.type);
  if (m.payload !== undefined) writePayload(writer, 8, m.payload);
}

function writeEntry(writer: Writer, e: Entry): void {
  writeString(writer, 1, e.path);
  writer.uint32(tag(2, LEN));
  writer.fork();
  writeVersion(writer, e.version);
  writer.ldelim();
  if (e.tombstone) writeBool(writer, 3, true);
  writeString(writer, 4, e.type);
  if (e.payload !== undefined) writePayload(writer, 5, e.payload);
  if (e.prev === null) writeBool(writer, 8, true);
  else if (e.prev !== undefined) {
    writer.uint32(tag(7, LEN));
    writer.fork();
    writeVersion(writer, e.prev);
    writer.ldelim();
  }
}

/** Writes the `payload` oneof: bytes at `inlineField`, a BlobRef at `inlineField + 1`. */
function writePayload(writer: Writer, inlineField: number, payload: Payload): void {
  if (payload instanceof Uint8Array) {
    // Written even when empty: oneof members carry presence, and an empty value is not an absent one.
    writer.uint32(tag(inlineField, LEN));
    writer.bytes(payload);
    return;
  }
  writer.uint32(tag(inlineField + 1, LEN));
  writer.fork();
  writeString(writer, 1, payload.digest);
  writeUint(writer, 2, payload.size);
  writeString(writer, 3, payload.codec);
  writer.ldelim();
}

function writeVersion(writer: Writer, v: Version): void {
  writeFixed64(writer, 1, v.hlc);
  writeString(writer, 2, v.origin);
  writeUint(writer, 3, v.seq);
}

function writeVector(writer: Writer, field: number, vector: VersionVector): void {
  writer.uint32(tag(field, LEN));
  writer.fork();
  for (const origin of Object.keys(vector)) {
    // map<string, uint64> entries: a nested message {key = 1, value = 2} each.
    writer.uint32(tag(1, LEN));
    writer.fork();
    writeAlwaysString(writer, 1, origin);
    writeUint(writer, 2, vector[origin]!);
    writer.ldelim();
  }
  writer.ldelim();
}

/** proto3 scalar: omitted when it equals the default (empty string). */
function writeString(writer: Writer, field: number, value: string): void {
  if (value.length === 0) return;
  writeAlwaysString(writer, field, value);
}

/** Repeated, optional and map-key strings are written even when empty. */
function writeAlwaysString(writer: Writer, field: number, value: string): void {
  writer.uint32(tag(field, LEN));
  writer.string(value);
}

/** A non-negative safe integer as a uint64 varint, omitted when 0. */
function writeUint(writer: Writer, field: number, value: number): void {
  if (value === 0) return;
  writer.uint32(tag(field, VARINT));
  if (value <= 0xffffffff) writer.uint32(value);
  else writer.uint64(value);
}

function writeBool(writer: Writer, field: number, value: boolean): void {
  writer.uint32(tag(field, VARINT));
  writer.uint32(value ? 1 : 0);
}

/** A bigint in 0-2^64-1 as fixed64 (8 bytes little-endian), exact; omitted when 0. */
function writeFixed64(writer: Writer, field: number, value: bigint): void {
  if (value === 0n) return;
  writer.uint32(tag(field, FIXED64));
  // Through a scratch DataView: splitting the bigint with & and >> would allocate two more bigints.
  SCRATCH.setBigUint64(0, value, true);
  writer.fixed32(SCRATCH.getUint32(0, true));
  writer.fixed32(SCRATCH.getUint32(4, true));
}
