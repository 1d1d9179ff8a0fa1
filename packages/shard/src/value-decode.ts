import { StatemeshError } from '@statemesh/contracts';
import type { BlobRef } from '@statemesh/contracts';
import { PENDING, UNDECODED } from './path-record.js';
import type { PathRecord } from './path-record.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PREFIX = '@statemesh/shard: ';
/** Longest text converted to bytes without the encoder (most json and text values). */
const SHORT_TEXT = 64;

/** The bytes of a record's value as held: text, bytes or a blob reference (a local JSON primitive is re-stringified). */
export function heldPayload(record: PathRecord): Uint8Array | string | BlobRef {
  return record.payload ?? JSON.stringify(record.cache);
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

/** The decoded value of an inline record, decoded once and kept on the record. */
export function cachedValue(path: string, record: PathRecord): unknown {
  const cache = record.cache;
  if (cache !== UNDECODED) return cache;
  const value = decodeValue(path, record.type, record.origin, record.payload as Uint8Array | string);
  record.cache = value;
  return value;
}

/** True when the record's value is a blob reference (pending or hydrated). */
export function isBlobValue(record: PathRecord): boolean {
  const payload = record.payload;
  return payload !== undefined && typeof payload !== 'string' && !(payload instanceof Uint8Array);
}

/** True when the record's value is a blob not hydrated here. */
export function isPending(record: PathRecord): boolean {
  return record.cache === PENDING;
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
 * A short ASCII json/text payload is kept as a string: a one-byte string costs a fraction of the heap of a
 * Uint8Array view, and its UTF-8 bytes are exactly the bytes received.
 */
export function compactPayload(type: string, payload: Uint8Array | BlobRef): Uint8Array | BlobRef | string {
  if (!(payload instanceof Uint8Array) || payload.length > SHORT_TEXT || (type !== 'json' && type !== 'text')) return payload;
  for (let i = 0; i < payload.length; i++) if (payload[i]! > 0x7f) return payload;
  return String.fromCharCode.apply(null, payload as unknown as number[]);
}

/** `value`, with every object and array in it frozen: a decoded value is shared by every reader. */
function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[key]);
  return value;
}
