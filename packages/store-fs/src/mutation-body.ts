import { isValidOrigin, isValidPath } from '@statemesh/contracts';
import type { Mutation, Version } from '@statemesh/contracts';

// The `MutationBatch` body of a `local` or `applied` record written straight into the pending buffer, byte for
// byte what `@statemesh/wire`'s encoder writes, for the mutations a session appends on every write: inline
// payloads and ASCII strings. Anything else (a blob reference, an invalid field) returns undefined from
// `mutationsBodySize`, and the caller encodes it with the wire encoder, which validates everything and says what
// is wrong. The rules checked here are that encoder's for the cases taken.

const MAX_UINT64 = (1n << 64n) - 1n;
const SCRATCH = new DataView(new ArrayBuffer(8));
const SCRATCH_BYTES = new Uint8Array(SCRATCH.buffer);
/** Origins found valid (batches repeat a few), bounded. */
const validOrigins = new Set<string>();
/** Sizes of the mutations of the batch being framed (between `mutationsBodySize` and `writeMutationsBody`). */
let sizes: number[] = [];

/** Bytes of the body, or undefined when a mutation is not for this path (see above). */
export function mutationsBodySize(mutations: readonly Mutation[]): number | undefined {
  if (!Array.isArray(mutations)) return undefined;
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
export function writeMutationsBody(mutations: readonly Mutation[], out: Uint8Array, at: number): void {
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

function mutationSize(m: Mutation): number | undefined {
  if (typeof m !== 'object' || m === null || !versionOk(m)) return undefined;
  if (typeof m.path !== 'string' || !isAscii(m.path) || !isValidPath(m.path) || typeof m.type !== 'string' || !isAscii(m.type)) return undefined;
  let size = stringSize(m.origin) + (m.seq === 0 ? 0 : 1 + varintBytes(m.seq)) + (m.hlc === 0n ? 0 : 9) + stringSize(m.path) + 2 + stringSize(m.type);
  if (m.op === 'set') {
    if (m.type === '' || !(m.payload instanceof Uint8Array)) return undefined;
    size += 1 + varintBytes(m.payload.length) + m.payload.length;
  } else if (m.op !== 'delete' || m.payload !== undefined) return undefined;
  if (m.prev !== undefined) {
    if (typeof m.prev !== 'object' || m.prev === null || !versionOk(m.prev)) return undefined;
    const inner = versionSize(m.prev);
    size += 1 + varintBytes(inner) + inner;
  }
  return size;
}

function versionOk(v: Version): boolean {
  if (typeof v.hlc !== 'bigint' || v.hlc < 0n || v.hlc > MAX_UINT64) return false;
  if (!Number.isSafeInteger(v.seq) || v.seq < 1) return false;
  if (typeof v.origin !== 'string') return false;
  if (validOrigins.has(v.origin)) return true;
  if (!isAscii(v.origin) || !isValidOrigin(v.origin)) return false;
  if (validOrigins.size >= 1024) validOrigins.clear();
  validOrigins.add(v.origin);
  return true;
}

function versionSize(v: Version): number {
  return (v.hlc === 0n ? 0 : 9) + stringSize(v.origin) + (v.seq === 0 ? 0 : 1 + varintBytes(v.seq));
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
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
