import type { CheckedMutation, Version } from '@statemesh/contracts';

// The `MutationBatch` body of a `local` or `applied` record written straight into the pending buffer, byte for
// byte what `@statemesh/wire`'s encoder writes, for the writes a session appends on every tick.
//
// What it checks, and why no more: its mutations are `CheckedMutation`s (made by the shard, or decoded by the
// wire), so their shape holds (contracts' `mutationProblem`: valid path, origin and type, hlc and seq in range,
// a payload only on a set), and nothing re-checks it here. The shape rule's alphabets (paths, origins, types) are
// ASCII, so one character is one byte as written below. What is left to decide is whether this path applies at
// all: a set whose payload is inline bytes, or a delete. A set of a blob reference returns undefined from
// `mutationsBodySize`, and the caller encodes the batch with the wire encoder. Which bytes to write for each
// field is the wire encoder's rule (test/mutation-record.test.ts compares the two over random batches).

const SCRATCH = new DataView(new ArrayBuffer(8));
const SCRATCH_BYTES = new Uint8Array(SCRATCH.buffer);
/** Sizes of the mutations of the batch being framed (between `mutationsBodySize` and `writeMutationsBody`). */
let sizes: number[] = [];

/** Bytes of the body, or undefined when a mutation is not for this path (a set of a blob reference). */
export function mutationsBodySize(mutations: readonly CheckedMutation[]): number | undefined {
  sizes = [];
  let total = 0;
  for (const m of mutations) {
    const size = mutationSize(m);
    if (size === undefined) return undefined;
    sizes.push(size);
    total += 1 + varintBytes(size) + size;
  }
  return total;
}

/** Writes the body measured by the last {@link mutationsBodySize} into `out` at `at`. */
export function writeMutationsBody(mutations: readonly CheckedMutation[], out: Uint8Array, at: number): void {
  for (let i = 0; i < mutations.length; i++) {
    const m = mutations[i]!;
    out[at++] = 0x0a; // field 1, LEN
    at = writeVarint(out, at, sizes[i]!);
    at = writeString(out, at, 0x0a, m.origin);
    if (m.seq !== 0) {
      out[at++] = 0x10;
      at = writeVarint(out, at, m.seq);
    }
    at = writeFixed64(out, at, 0x19, m.hlc);
    if (m.prev !== undefined) {
      out[at++] = 0x22;
      at = writeVarint(out, at, versionSize(m.prev));
      at = writeFixed64(out, at, 0x09, m.prev.hlc);
      at = writeString(out, at, 0x12, m.prev.origin);
      if (m.prev.seq !== 0) {
        out[at++] = 0x18;
        at = writeVarint(out, at, m.prev.seq);
      }
    }
    at = writeString(out, at, 0x2a, m.path);
    out[at++] = 0x30;
    out[at++] = m.op === 'set' ? 1 : 2;
    at = writeString(out, at, 0x3a, m.type);
    const payload = m.payload;
    if (payload instanceof Uint8Array) {
      out[at++] = 0x42;
      at = writeVarint(out, at, payload.length);
      out.set(payload, at);
      at += payload.length;
    }
  }
}

function mutationSize(m: CheckedMutation): number | undefined {
  let size = stringSize(m.origin) + (m.seq === 0 ? 0 : 1 + varintBytes(m.seq)) + (m.hlc === 0n ? 0 : 9) + stringSize(m.path) + 2 + stringSize(m.type);
  if (m.op === 'set') {
    if (!(m.payload instanceof Uint8Array)) return undefined; // a blob reference: the wire encoder writes it
    size += 1 + varintBytes(m.payload.length) + m.payload.length;
  }
  if (m.prev !== undefined) {
    const inner = versionSize(m.prev);
    size += 1 + varintBytes(inner) + inner;
  }
  return size;
}

function versionSize(v: Version): number {
  return (v.hlc === 0n ? 0 : 9) + stringSize(v.origin) + (v.seq === 0 ? 0 : 1 + varintBytes(v.seq));
}

/** A string field of ASCII text (omitted when empty, as the wire encoder does). */
function stringSize(text: string): number {
  return text.length === 0 ? 0 : 1 + varintBytes(text.length) + text.length;
}

function writeString(out: Uint8Array, at: number, tag: number, text: string): number {
  if (text.length === 0) return at;
  out[at++] = tag;
  at = writeVarint(out, at, text.length);
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

function writeFixed64(out: Uint8Array, at: number, tag: number, value: bigint): number {
  if (value === 0n) return at;
  out[at++] = tag;
  SCRATCH.setBigUint64(0, value, true);
  out.set(SCRATCH_BYTES, at);
  return at + 8;
}

function varintBytes(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 128) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}
