import type { HashSpan, ReplicaScope } from '@statemesh/contracts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const HASH_SPACE = 2 ** 32;

/**
 * The body of a `scope` record (PROTOCOL.md): u32 length, that many bytes of UTF-8 JSON
 * `{"interests": [prefix, ...], "spans": [[begin, end], ...] | null}`, then `vector` (a `SnapshotPage` body
 * carrying the vector that replaces the recorded one).
 */
export function encodeScope(scope: ReplicaScope, vector: Uint8Array): Uint8Array {
  const json = encoder.encode(JSON.stringify({ interests: scope.interests, spans: scope.spans === undefined ? null : scope.spans.map((s) => [s.begin, s.end]) }));
  const body = new Uint8Array(4 + json.length + vector.length);
  new DataView(body.buffer).setUint32(0, json.length, true);
  body.set(json, 4);
  body.set(vector, 4 + json.length);
  return body;
}

/** The scope of a `scope` record's body and the bytes after it; throws a plain `Error` saying what is wrong. */
export function decodeScope(body: Uint8Array): { scope: ReplicaScope; rest: Uint8Array } {
  if (body.length < 4) throw new Error('scope record shorter than its length field');
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, true);
  if (4 + length > body.length) throw new Error(`scope record claims ${length} bytes of JSON, holds ${body.length - 4}`);
  const parsed: unknown = JSON.parse(decoder.decode(body.subarray(4, 4 + length)));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('scope record JSON is not an object');
  const { interests, spans } = parsed as { interests?: unknown; spans?: unknown };
  if (!Array.isArray(interests) || !interests.every((p) => typeof p === 'string')) throw new Error('scope record interests are not a list of strings');
  let list: HashSpan[] | undefined;
  if (spans !== null) {
    if (!Array.isArray(spans)) throw new Error('scope record spans are neither a list nor null');
    list = spans.map((span: unknown) => {
      if (!Array.isArray(span) || span.length !== 2) throw new Error('a scope record span is not [begin, end]');
      const [begin, end] = span as unknown[];
      if (!Number.isInteger(begin) || !Number.isInteger(end) || (begin as number) < 0 || (end as number) > HASH_SPACE || (begin as number) >= (end as number)) {
        throw new Error(`scope record span [${String(begin)}, ${String(end)}] is not a range of 32-bit hashes`);
      }
      return { begin: begin as number, end: end as number };
    });
  }
  return { scope: { interests: interests as string[], spans: list }, rest: body.subarray(4 + length) };
}
