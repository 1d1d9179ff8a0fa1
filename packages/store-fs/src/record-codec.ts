import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import type { CheckedMutation, Entry, ReplicaIdentity, ReplicaRecord } from '@statemesh/contracts';
import { decodeScope, encodeScope } from './scope-body.js';
import { FRAME_KIND, decodeFrameBody, encodeFrameBody } from '@statemesh/wire';
import type { MutationsFrame, SnapshotPageFrame } from '@statemesh/wire';
import { decodePacked, encodePacked } from './packed-entries.js';

/** Record kind bytes (PROTOCOL.md). Frozen: a log written today must be read by every later version. */
export const RECORD_KIND = {
  local: 1,
  applied: 2,
  entries: 3,
  vector: 4,
  sequence: 5,
  replicated: 6,
  collected: 7,
  identity: 8,
  incarnation: 9,
  end: 10,
  packed: 11,
  scope: 12,
} as const;

/** Records only the store writes: who it belongs to, how often it was opened, and a snapshot's last record. */
export type StoreRecord =
  | ReplicaRecord
  | { readonly kind: 'identity'; readonly identity: ReplicaIdentity }
  | { readonly kind: 'incarnation'; readonly incarnation: number }
  | { readonly kind: 'end'; readonly records: number }
  /** Snapshot entries (winners at distinct paths) in the flat layout of `packed-entries.ts`; snapshots only. */
  | { readonly kind: 'packed'; readonly entries: readonly Entry[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The kind byte and body of `record`; throws `INVALID_ARGUMENT` for a record the wire cannot carry. */
export function encodeRecord(record: StoreRecord): [number, Uint8Array] {
  switch (record.kind) {
    case 'local':
    case 'applied':
      // The writes and entries of a record are the checked types (made by a shard or decoded by the wire): the
      // wire encoder trusts them, and nothing checks their shape again here.
      return [RECORD_KIND[record.kind], encodeFrameBody({ kind: 'mutations', mutations: record.mutations as CheckedMutation[] })];
    case 'entries':
      return [RECORD_KIND.entries, page(record.entries, undefined)];
    case 'collected':
      return [RECORD_KIND.collected, page(record.tombstones, undefined)];
    case 'vector':
      return [RECORD_KIND.vector, page([], record.vector)];
    case 'scope':
      return [RECORD_KIND.scope, encodeScope(record.scope, page([], record.vector))];
    case 'sequence':
    case 'replicated':
      return [RECORD_KIND[record.kind], u64(record.seq, record.kind)];
    case 'incarnation':
      return [RECORD_KIND.incarnation, u64(record.incarnation, 'incarnation')];
    case 'end':
      return [RECORD_KIND.end, u64(record.records, 'end')];
    case 'packed':
      return [RECORD_KIND.packed, encodePacked(record.entries)];
    case 'identity': {
      const cluster = encoder.encode(record.identity.clusterId);
      const node = encoder.encode(record.identity.nodeId);
      const body = new Uint8Array(4 + cluster.length + node.length);
      const view = new DataView(body.buffer);
      view.setUint16(0, cluster.length, true);
      body.set(cluster, 2);
      view.setUint16(2 + cluster.length, node.length, true);
      body.set(node, 4 + cluster.length);
      return [RECORD_KIND.identity, body];
    }
    default:
      throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/store-fs: unknown record kind ${JSON.stringify((record as { kind?: unknown }).kind)}; use one of local, applied, entries, vector, sequence, replicated, collected, scope`);
  }
}

/**
 * The record of kind byte `kind` in `body` (a checksummed record, so any failure here is corruption, not a torn
 * write). Throws a plain `Error` saying what is wrong; the caller names the file and offset.
 */
export function decodeRecord(kind: number, body: Uint8Array): StoreRecord {
  try {
    switch (kind) {
      case RECORD_KIND.local:
        return { kind: 'local', mutations: (decodeFrameBody(FRAME_KIND.mutations, body) as MutationsFrame).mutations };
      case RECORD_KIND.applied:
        return { kind: 'applied', mutations: (decodeFrameBody(FRAME_KIND.mutations, body) as MutationsFrame).mutations };
      case RECORD_KIND.entries:
        return { kind: 'entries', entries: decodePage(body).entries };
      case RECORD_KIND.collected:
        return { kind: 'collected', tombstones: decodePage(body).entries };
      case RECORD_KIND.vector:
        return { kind: 'vector', vector: decodePage(body).vector ?? {} };
      case RECORD_KIND.scope: {
        const { scope, rest } = decodeScope(body);
        return { kind: 'scope', scope, vector: decodePage(rest).vector ?? {} };
      }
      case RECORD_KIND.sequence:
        return { kind: 'sequence', seq: readU64(body) };
      case RECORD_KIND.replicated:
        return { kind: 'replicated', seq: readU64(body) };
      case RECORD_KIND.incarnation:
        return { kind: 'incarnation', incarnation: readU64(body) };
      case RECORD_KIND.end:
        return { kind: 'end', records: readU64(body) };
      case RECORD_KIND.packed:
        return { kind: 'packed', entries: decodePacked(body) };
      case RECORD_KIND.identity: {
        const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
        const clusterLength = view.getUint16(0, true);
        const clusterId = decoder.decode(body.subarray(2, 2 + clusterLength));
        const nodeLength = view.getUint16(2 + clusterLength, true);
        if (4 + clusterLength + nodeLength !== body.length) throw new Error('identity record length does not add up');
        return { kind: 'identity', identity: { clusterId, nodeId: decoder.decode(body.subarray(4 + clusterLength)) } };
      }
      default:
        throw new Error(`unknown record kind ${kind}`);
    }
  } catch (error) {
    if (isStatemeshError(error)) throw new Error(error.message, { cause: error });
    throw error;
  }
}

function page(entries: readonly Entry[], vector: Record<string, number> | undefined): Uint8Array {
  const frame: SnapshotPageFrame<Entry> = { kind: 'snapshot-page', requestId: 0, entries: entries as Entry[], last: true };
  if (vector !== undefined) frame.vector = vector;
  return encodeFrameBody(frame);
}

function decodePage(body: Uint8Array): SnapshotPageFrame {
  return decodeFrameBody(FRAME_KIND.snapshotPage, body) as SnapshotPageFrame;
}

function u64(value: number, what: string): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/store-fs: a ${what} record needs a non-negative safe integer, not ${String(value)}`);
  }
  const body = new Uint8Array(8);
  new DataView(body.buffer).setBigUint64(0, BigInt(value), true);
  return body;
}

function readU64(body: Uint8Array): number {
  if (body.length !== 8) throw new Error(`expected an 8-byte number, got ${body.length} bytes`);
  const value = new DataView(body.buffer, body.byteOffset, 8).getBigUint64(0, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`number ${value} is above 2^53`);
  return Number(value);
}
