import { StatemeshError } from '@statemesh/contracts';
import type { BlobRef } from '@statemesh/contracts';
import { BlobValue, DecodedValue } from './path-record.js';
import type { HeldPayload, PathRecord } from './path-record.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PREFIX = '@statemesh/shard: ';
/** Longest text converted to bytes without the encoder (most json and text values). */
const SHORT_TEXT = 64;

/** The bytes of a value as held: text, bytes or a blob reference (a JSON primitive is written out again). */
export function heldPayload(payload: HeldPayload): Uint8Array | string | BlobRef {
  if (typeof payload === 'string' || payload instanceof Uint8Array) return payload;
  if (payload instanceof DecodedValue) return payload.data;
  if (payload instanceof BlobValue) return payload.ref;
  return JSON.stringify(payload);
}

/**
 * The value an application sees for `type` and these bytes: parsed (and deep-frozen) JSON for `json`, the string
 * for `text`, the bytes for any other type. Throws `CORRUPT_INPUT` for a `json` value whose bytes are not JSON.
 */
export function decodeValue(path: string, type: string, origin: string, data: Uint8Array | string): unknown {
  if (type !== 'json' && type !== 'text') return typeof data === 'string' ? utf8(data) : data;
  const text = typeof data === 'string' ? data : decoder.decode(data);
  if (type === 'text') return text;
  try {
    return freezeDeep(JSON.parse(text));
  } catch (error) {
    throw new StatemeshError('CORRUPT_INPUT', `${PREFIX}the value at ${JSON.stringify(path)} has type json but its bytes are not JSON (written by '${origin}'); read it with entries() bytes or overwrite it`, { cause: error, details: { path } });
  }
}

/**
 * The value of an inline (not blob) record, as `get` returns it: json decoded once, the decoded value then kept
 * on the record beside its bytes.
 */
export function inlineValue(path: string, record: PathRecord): unknown {
  const payload = record.payload;
  if (payload instanceof DecodedValue) return payload.value;
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) return payload; // a JSON primitive
  const type = record.type;
  if (type === 'text' && typeof payload === 'string') return payload;
  if (type !== 'json' && type !== 'text') return payload;
  const value = decodeValue(path, type, record.origin, payload);
  record.payload = new DecodedValue(payload, value);
  return value;
}

/** UTF-8 bytes of `text`; short ASCII text without a call into the encoder. */
export function utf8(text: string): Uint8Array {
  const length = text.length;
  if (length > SHORT_TEXT) return encoder.encode(text);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return encoder.encode(text);
    out[i] = code;
  }
  return out;
}

/** Node's `Buffer`, where the runtime has one (browsers do not): it counts UTF-8 bytes without encoding. */
const NodeBuffer = (globalThis as { Buffer?: { byteLength(text: string): number } }).Buffer;

/** How many bytes `text` takes in UTF-8. */
export function utf8ByteLength(text: string): number {
  return NodeBuffer === undefined ? encoder.encode(text).byteLength : NodeBuffer.byteLength(text);
}

/**
 * A remote payload as a record keeps it: a canonical JSON integer, `true`, `false` or `null` as the value itself
 * (its bytes are exactly `JSON.stringify` of it); other short ASCII json/text as a string (a one-byte string costs
 * a fraction of the heap of a Uint8Array view, and its UTF-8 bytes are exactly the bytes received); a blob
 * reference as a pending blob; anything else as the bytes.
 */
export function remotePayload(type: string, payload: Uint8Array | BlobRef): HeldPayload {
  if (!(payload instanceof Uint8Array)) return new BlobValue(payload, true, undefined);
  const length = payload.length;
  if (length > SHORT_TEXT || (type !== 'json' && type !== 'text')) return payload;
  if (type === 'json' && length > 0 && length <= 15) {
    const primitive = canonicalPrimitive(payload);
    if (primitive !== undefined) return primitive;
  }
  for (let i = 0; i < length; i++) if (payload[i]! > 0x7f) return payload;
  return String.fromCharCode.apply(null, payload as unknown as number[]);
}

/** The JSON primitive `bytes` spell in canonical form (as `JSON.stringify` writes it), or undefined. */
function canonicalPrimitive(bytes: Uint8Array): number | boolean | null | undefined {
  const first = bytes[0]!;
  if (first === 0x74 /* t */) return bytes.length === 4 && bytes[1] === 0x72 && bytes[2] === 0x75 && bytes[3] === 0x65 ? true : undefined;
  if (first === 0x66 /* f */) return bytes.length === 5 && bytes[1] === 0x61 && bytes[2] === 0x6c && bytes[3] === 0x73 && bytes[4] === 0x65 ? false : undefined;
  if (first === 0x6e /* n */) return bytes.length === 4 && bytes[1] === 0x75 && bytes[2] === 0x6c && bytes[3] === 0x6c ? null : undefined;
  const negative = first === 0x2d; /* - */
  let i = negative ? 1 : 0;
  if (i === bytes.length || (bytes[i] === 0x30 && (negative || bytes.length > 1))) return undefined; // "-0", leading zeros
  let value = 0;
  for (; i < bytes.length; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** `value`, with every object and array in it frozen: a decoded value is shared by every reader. */
function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[key]);
  return value;
}
