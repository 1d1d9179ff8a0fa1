import { crc32c } from './crc32c.js';

/** Bytes of a log or snapshot file's header: magic, format version, reserved, segment number. */
export const FILE_HEADER_BYTES = 16;
/** Bytes before each record's payload: payload length, payload CRC-32C, header CRC-32C. */
export const RECORD_HEADER_BYTES = 12;
/** The largest payload a record may declare (a wire frame's limit plus the kind byte, with room). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
/** Format version of log segments. */
export const LOG_FORMAT_VERSION = 1;
/** Format version of snapshots written: 2 holds `packed` entries; version 1 (protobuf `entries`) is still read. */
export const SNAPSHOT_FORMAT_VERSION = 2;
/** "SMLG" and "SMSN" as little-endian u32: the first bytes of a log segment and of a snapshot. */
export const LOG_MAGIC = 0x474c4d53;
export const SNAPSHOT_MAGIC = 0x4e534d53;

/** One record framed for a file: header, kind byte, body. */
export function frameRecord(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + 1 + body.length);
  out[RECORD_HEADER_BYTES] = kind;
  out.set(body, RECORD_HEADER_BYTES + 1);
  putU32(out, 0, body.length + 1);
  putU32(out, 4, crc32c(out, RECORD_HEADER_BYTES));
  putU32(out, 8, crc32c(out, 0, 8));
  return out;
}

/** Little-endian u32 into `out` at `at` (no DataView per record on the append path). */
function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = value >>> 24;
}

/** The 16-byte header of a file of `magic` holding segment `segment`. */
export function fileHeader(magic: number, segment: number): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, true);
  view.setUint16(4, magic === SNAPSHOT_MAGIC ? SNAPSHOT_FORMAT_VERSION : LOG_FORMAT_VERSION, true);
  view.setBigUint64(8, BigInt(segment), true);
  return out;
}

/** Why a file's header is unusable, or undefined when it is the header of `magic` for `segment`. */
export function headerProblem(bytes: Uint8Array, magic: number, segment: number): string | undefined {
  if (bytes.length < FILE_HEADER_BYTES) return `the file is ${bytes.length} bytes, shorter than its ${FILE_HEADER_BYTES}-byte header`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_BYTES);
  if (view.getUint32(0, true) !== magic) return 'the file does not start with the expected magic bytes';
  const version = view.getUint16(4, true);
  const newest = magic === SNAPSHOT_MAGIC ? SNAPSHOT_FORMAT_VERSION : LOG_FORMAT_VERSION;
  if (version < 1 || version > newest) return `the file has format version ${version}; this version of @statemesh/store-fs reads versions 1 to ${newest}`;
  const found = view.getBigUint64(8, true);
  if (found !== BigInt(segment)) return `the file's header says segment ${found}, its name says ${segment}`;
  return undefined;
}

/** How a scan ended: at `end` (the length of the good prefix), cleanly, torn after it, or at a corrupted record. */
export interface ScanResult {
  readonly end: number;
  readonly records: number;
  /** Set when the bytes from `end` on are an incomplete last record (or unwritten zeros). */
  readonly torn: boolean;
  /** Set when the record at `end` is corrupted (checksum or content). */
  readonly corrupt?: string;
  /** Set when the scan stopped at `end` after `maxBytes`, with more to read: call again from `end`. */
  readonly paused?: boolean;
}

/**
 * Calls `onRecord(kind, body, offset)` for each record of `bytes` from `start`, in order, and says where and why
 * it stopped. `onRecord` may throw to report bad content; the scan then ends as corrupt at that record. With
 * `maxBytes`, it pauses after the record that crosses them (so that a caller can let the event loop run).
 */
export function scanRecords(
  bytes: Uint8Array,
  start: number,
  onRecord: (kind: number, body: Uint8Array, offset: number) => void,
  maxBytes = Number.POSITIVE_INFINITY,
): ScanResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  let at = start;
  let records = 0;
  while (at < size) {
    if (at - start >= maxBytes) return { end: at, records, torn: false, paused: true };
    if (size - at < RECORD_HEADER_BYTES) return { end: at, records, torn: true };
    if (view.getUint32(at + 8, true) !== crc32c(bytes, at, at + 8)) {
      if (allZero(bytes, at)) return { end: at, records, torn: true };
      return { end: at, records, torn: false, corrupt: 'the record header fails its CRC-32C' };
    }
    const length = view.getUint32(at, true);
    if (length < 1 || length > MAX_RECORD_BYTES) return { end: at, records, torn: false, corrupt: `the record declares ${length} bytes` };
    const bodyStart = at + RECORD_HEADER_BYTES;
    const next = bodyStart + length;
    if (next > size) return { end: at, records, torn: true };
    if (view.getUint32(at + 4, true) !== crc32c(bytes, bodyStart, next)) return { end: at, records, torn: false, corrupt: 'the record fails its CRC-32C' };
    try {
      onRecord(bytes[bodyStart]!, bytes.subarray(bodyStart + 1, next), at);
    } catch (error) {
      return { end: at, records, torn: false, corrupt: `the record does not decode (${error instanceof Error ? error.message : String(error)})` };
    }
    records++;
    at = next;
  }
  return { end: at, records, torn: false };
}

/** True when every byte from `from` to the end is zero: space a file system allocated but never wrote. */
function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
