import { StatemeshError } from '@statemesh/contracts';
import type { Disk } from './disk.js';
import { logName, parseName, snapshotName } from './file-names.js';
import { FILE_HEADER_BYTES, LOG_MAGIC, SNAPSHOT_MAGIC, headerProblem, scanRecords } from './log-frame.js';
import type { ScanResult } from './log-frame.js';
import { decodeRecord } from './record-codec.js';
import { ReplicaState } from './replica-state.js';

/** One log segment as read: its good length and records. */
export interface SegmentInfo {
  readonly segment: number;
  readonly bytes: number;
  readonly records: number;
}

/** The state a store's files describe, and where they stand. */
export interface ReadState {
  readonly state: ReplicaState;
  /** The snapshot read, when there is one. */
  readonly snapshot: { readonly segment: number; readonly entries: number; readonly bytes: number } | undefined;
  /** The log segments read, in order (possibly none). */
  readonly segments: SegmentInfo[];
  /** Bytes of a torn tail on the last segment (the caller cuts them), 0 when none. */
  readonly tornBytes: number;
  /** Every store file found, for clean-up: stale snapshots and segments older than the snapshot, temporaries. */
  readonly stale: string[];
}

/**
 * Reads the newest snapshot and the log segments after it (up to `upTo` when given) and folds them. Only the
 * last segment may end in a torn record, and only when `allowTornTail`; any other damage throws `STORE_CORRUPT`
 * naming the file and the byte offset of the first bad record.
 */
export async function readState(disk: Disk, options: { readonly upTo?: number; readonly allowTornTail: boolean }): Promise<ReadState> {
  const names = await disk.list();
  const logs: number[] = [];
  const snapshots: number[] = [];
  const stale: string[] = [];
  for (const name of names) {
    const parsed = parseName(name);
    if (parsed === undefined) continue;
    if (parsed.kind === 'temp') stale.push(name);
    else (parsed.kind === 'log' ? logs : snapshots).push(parsed.segment);
  }
  logs.sort((a, b) => a - b);
  snapshots.sort((a, b) => a - b);
  const state = new ReplicaState();
  const from = snapshots.at(-1);
  for (const s of snapshots) if (s !== from) stale.push(snapshotName(s));
  let snapshot: ReadState['snapshot'];
  if (from !== undefined) snapshot = await readSnapshot(disk, from, state);
  const wanted = logs.filter((s) => (from === undefined || s >= from) && (options.upTo === undefined || s <= options.upTo));
  for (const s of logs) if (from !== undefined && s < from) stale.push(logName(s));
  const segments: SegmentInfo[] = [];
  let tornBytes = 0;
  for (let i = 0; i < wanted.length; i++) {
    const segment = wanted[i]!;
    if (i > 0 && segment !== wanted[i - 1]! + 1) {
      throw corrupt(disk.describe(logName(wanted[i - 1]! + 1)), 0, 'this log segment is missing between its neighbours');
    }
    const last = i === wanted.length - 1;
    const name = logName(segment);
    const bytes = await disk.read(name);
    if (bytes.length < FILE_HEADER_BYTES && last && options.allowTornTail) {
      // Created, then cut by a crash before its header was durable: an empty segment.
      segments.push({ segment, bytes: 0, records: 0 });
      tornBytes = bytes.length;
      continue;
    }
    const problem = headerProblem(bytes, LOG_MAGIC, segment);
    if (problem !== undefined) throw corrupt(disk.describe(name), 0, problem);
    const scan = await scanInSlices(bytes, (kind, body) => state.apply(decodeRecord(kind, body)));
    if (scan.corrupt !== undefined) throw corrupt(disk.describe(name), scan.end, scan.corrupt);
    if (scan.torn && !(last && options.allowTornTail)) throw corrupt(disk.describe(name), scan.end, 'the segment ends in an incomplete record, and it is not the last one');
    if (scan.torn) tornBytes = bytes.length - scan.end;
    segments.push({ segment, bytes: scan.end, records: scan.records });
  }
  return { state, snapshot, segments, tornBytes, stale };
}

async function readSnapshot(disk: Disk, segment: number, state: ReplicaState): Promise<ReadState['snapshot']> {
  const name = snapshotName(segment);
  const bytes = await disk.read(name);
  const problem = headerProblem(bytes, SNAPSHOT_MAGIC, segment);
  if (problem !== undefined) throw corrupt(disk.describe(name), 0, problem);
  let ended = -1;
  let records = 0;
  let endOffset = 0;
  const scan = await scanInSlices(bytes, (kind, body, offset) => {
    if (ended >= 0) throw new Error('a record follows the end record');
    const record = decodeRecord(kind, body);
    if (record.kind === 'end') {
      if (record.records !== records) throw new Error(`the end record counts ${record.records} records, the snapshot holds ${records}`);
      ended = records;
      endOffset = offset;
      return;
    }
    records++;
    state.apply(record, true);
  });
  if (scan.corrupt !== undefined) throw corrupt(disk.describe(name), scan.end, scan.corrupt);
  if (scan.torn || ended < 0) throw corrupt(disk.describe(name), scan.torn ? scan.end : endOffset, 'the snapshot ends before its end record');
  return { segment, entries: state.snapshotEntries, bytes: bytes.length };
}

/** Bytes per slice of a scan: a few milliseconds of decoding, then the event loop runs (heartbeats, I/O). */
const SLICE_BYTES = 512 * 1024;

/** `scanRecords` over a whole file from its header on, yielding to the event loop between slices. */
async function scanInSlices(bytes: Uint8Array, onRecord: (kind: number, body: Uint8Array, offset: number) => void): Promise<ScanResult> {
  let at = FILE_HEADER_BYTES;
  let records = 0;
  for (;;) {
    const scan = scanRecords(bytes, at, onRecord, SLICE_BYTES);
    records += scan.records;
    if (scan.paused !== true) return { ...scan, records };
    at = scan.end;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The `STORE_CORRUPT` error for the record at `offset` of `file`. */
export function corrupt(file: string, offset: number, reason: string): StatemeshError {
  return new StatemeshError(
    'STORE_CORRUPT',
    `@statemesh/store-fs: ${file} is corrupted at byte offset ${offset}: ${reason}. Nothing was skipped or changed; restore the data directory from a backup, or move it away and let the node catch up from its peers`,
    { details: { file, offset, reason } },
  );
}
