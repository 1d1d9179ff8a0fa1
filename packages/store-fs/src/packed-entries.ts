import { StatemeshError } from '@statemesh/contracts';
import type { Entry, Payload, Version } from '@statemesh/contracts';

// The body of a `packed` record (kind 11, snapshots only; PROTOCOL.md): entries in a flat little-endian layout that
// decodes without protobuf, with payloads as views of the file's bytes. A restart is mostly this loop.
//
//   u32 count, u16 strings, each string: u16 length + UTF-8 (origins, types, codecs, digests)
//   per entry: u16 path length + path (ASCII), u64 hlc, u16 origin, u64 seq, u8 flags, then
//     flags & TOMBSTONE: nothing more; else u16 type, then
//       flags & REF: u16 digest, u64 size, u16 codec; else u32 length + the inline bytes
//     flags & PREV: u64 hlc, u16 origin, u64 seq of `prev`; flags & PREV_NONE: `prev` is null

const TOMBSTONE = 1;
const REF = 2;
const PREV = 4;
const PREV_NONE = 8;
const TWO_32 = 2 ** 32;
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body of a packed record holding `entries`. */
export function encodePacked(entries: readonly Entry[]): Uint8Array {
  const strings = new Map<string, number>();
  const names: Uint8Array[] = [];
  const index = (text: string): number => {
    let at = strings.get(text);
    if (at === undefined) {
      at = names.length;
      if (at > 0xffff) throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/store-fs: a packed page holds at most 65 536 distinct origins, types and digests');
      strings.set(text, at);
      names.push(encoder.encode(text));
    }
    return at;
  };
  let size = 0;
  for (const e of entries) {
    size += 2 + e.path.length + 8 + 2 + 8 + 1;
    index(e.version.origin);
    if (!e.tombstone) {
      index(e.type);
      const payload = e.payload;
      if (payload instanceof Uint8Array) size += 2 + 4 + payload.length;
      else if (payload !== undefined) {
        index(payload.digest);
        index(payload.codec);
        size += 2 + 2 + 8 + 2;
      } else throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/store-fs: the entry at ${e.path} is a value without a payload`);
    }
    if (e.prev !== undefined && e.prev !== null) {
      index(e.prev.origin);
      size += 8 + 2 + 8;
    }
  }
  let head = 4 + 2;
  for (const name of names) head += 2 + name.length;
  const out = new Uint8Array(head + size);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setUint32(at, entries.length, true);
  view.setUint16(at + 4, names.length, true);
  at += 6;
  for (const name of names) {
    view.setUint16(at, name.length, true);
    out.set(name, at + 2);
    at += 2 + name.length;
  }
  const version = (v: Version): void => {
    view.setBigUint64(at, v.hlc, true);
    view.setUint16(at + 8, strings.get(v.origin)!, true);
    view.setUint32(at + 10, v.seq % TWO_32, true);
    view.setUint32(at + 14, Math.floor(v.seq / TWO_32), true);
    at += 18;
  };
  for (const e of entries) {
    const path = e.path;
    view.setUint16(at, path.length, true);
    at += 2;
    for (let i = 0; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if (c > 0x7f) throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/store-fs: path ${JSON.stringify(path)} is not ASCII`);
      out[at++] = c;
    }
    version(e.version);
    const payload = e.payload;
    let flags = e.tombstone ? TOMBSTONE : 0;
    if (!e.tombstone && !(payload instanceof Uint8Array)) flags |= REF;
    if (e.prev === null) flags |= PREV_NONE;
    else if (e.prev !== undefined) flags |= PREV;
    out[at++] = flags;
    if (!e.tombstone) {
      view.setUint16(at, strings.get(e.type)!, true);
      at += 2;
      if (payload instanceof Uint8Array) {
        view.setUint32(at, payload.length, true);
        out.set(payload, at + 4);
        at += 4 + payload.length;
      } else {
        const ref = payload!;
        view.setUint16(at, strings.get(ref.digest)!, true);
        view.setUint32(at + 2, ref.size % TWO_32, true);
        view.setUint32(at + 6, Math.floor(ref.size / TWO_32), true);
        view.setUint16(at + 10, strings.get(ref.codec)!, true);
        at += 12;
      }
    }
    if (e.prev !== undefined && e.prev !== null) version(e.prev);
  }
  return out;
}

/**
 * The entries of a packed record's `body` (checksummed, so a failure here is corruption: throws a plain `Error`).
 * Inline payloads are views of `body`'s bytes, not copies.
 */
export function decodePacked(body: Uint8Array): Entry[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const end = body.length;
  const need = (at: number, n: number): void => {
    if (at + n > end) throw new Error('the packed entries run past the end of their record');
  };
  need(0, 6);
  const count = view.getUint32(0, true);
  const stringCount = view.getUint16(4, true);
  let at = 6;
  const strings: string[] = [];
  for (let i = 0; i < stringCount; i++) {
    need(at, 2);
    const length = view.getUint16(at, true);
    need(at + 2, length);
    strings.push(utf8.decode(body.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  const string = (i: number): string => {
    const s = strings[i];
    if (s === undefined) throw new Error(`string ${i} of ${stringCount} in a packed record`);
    return s;
  };
  const ascii = NodeBuffer !== undefined && NodeBuffer.isBuffer(body) ? body : NodeBuffer?.from(body.buffer, body.byteOffset, body.byteLength);
  const version = (): Version => {
    need(at, 18);
    const v: Version = { hlc: view.getBigUint64(at, true), origin: string(view.getUint16(at + 8, true)), seq: view.getUint32(at + 10, true) + view.getUint32(at + 14, true) * TWO_32 };
    at += 18;
    return v;
  };
  const entries: Entry[] = [];
  for (let n = 0; n < count; n++) {
    need(at, 2);
    const pathLength = view.getUint16(at, true);
    need(at + 2, pathLength + 19);
    const path = ascii !== undefined ? ascii.toString('latin1', at + 2, at + 2 + pathLength) : String.fromCharCode(...body.subarray(at + 2, at + 2 + pathLength));
    at += 2 + pathLength;
    const v = version();
    const flags = body[at++]!;
    let type = '';
    let payload: Payload | undefined;
    if ((flags & TOMBSTONE) === 0) {
      need(at, 2);
      type = string(view.getUint16(at, true));
      at += 2;
      if ((flags & REF) === 0) {
        need(at, 4);
        const length = view.getUint32(at, true);
        need(at + 4, length);
        payload = new Uint8Array(body.buffer, body.byteOffset + at + 4, length);
        at += 4 + length;
      } else {
        need(at, 12);
        payload = { digest: string(view.getUint16(at, true)), size: view.getUint32(at + 2, true) + view.getUint32(at + 6, true) * TWO_32, codec: string(view.getUint16(at + 10, true)) };
        at += 12;
      }
    }
    if ((flags & PREV) !== 0) entries.push({ path, version: v, tombstone: (flags & TOMBSTONE) !== 0, type, payload, prev: version() });
    else if ((flags & PREV_NONE) !== 0) entries.push({ path, version: v, tombstone: (flags & TOMBSTONE) !== 0, type, payload, prev: null });
    else entries.push({ path, version: v, tombstone: (flags & TOMBSTONE) !== 0, type, payload });
  }
  if (at !== end) throw new Error(`${end - at} bytes follow the packed entries in their record`);
  return entries;
}
