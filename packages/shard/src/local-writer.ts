import type { PutChunkedOptions } from '@statemesh/blob-store';
import { StatemeshError, VersionStamp, isSystemPath, isUnder, isValidPath } from '@statemesh/contracts';
import type { Version } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { Batch } from './batch.js';
import type { Interner } from './interner.js';
import type { LocalLog } from './local-log.js';
import type { Mounts } from './mounts.js';
import type { PathTree } from './path-tree.js';
import type { ShardCounters } from './shard-counters.js';
import { invalidPath } from './shard-errors.js';
import type { ShardClock } from './shard-options.js';
import type { TreeMerge } from './tree-merge.js';
import type { ValueReader } from './value-reader.js';
import { utf8ByteLength } from './value-decode.js';

const encoder = new TextEncoder();
const PREFIX = '@statemesh/shard: ';

/** What a local write needs of the shard. */
export interface LocalWriterParts {
  readonly nodeId: string;
  readonly origin: string;
  readonly clock: ShardClock;
  readonly tree: PathTree;
  readonly merge: TreeMerge;
  readonly log: LocalLog;
  readonly values: ValueReader;
  readonly interner: Interner;
  readonly counters: ShardCounters;
  readonly mounts: Mounts | undefined;
  readonly offload: PutChunkedOptions | undefined;
  readonly maxInline: number;
  readonly maxValue: number;
  readonly warn: (line: string) => void;
  /** A batch for a local write, and its publication to watchers. */
  readonly batch: () => Batch;
  readonly publish: (batch: Batch) => void;
}

/**
 * This node's writes: the path checked once (and not again when the tree already holds it), stamped with the
 * clock and the next seq, merged into the tree like any write, queued in the local log, a large value offloaded.
 */
export class LocalWriter {
  readonly #parts: LocalWriterParts;

  constructor(parts: LocalWriterParts) {
    this.#parts = parts;
  }

  /** Writes a value: its text or bytes, or a JSON primitive kept as itself (`primitive` true). */
  write(path: string, type: string, data: string | Uint8Array, system: boolean, primitive: number | boolean | null | undefined, isPrimitive: boolean): Version {
    const parts = this.#parts;
    this.#checkPath(path, system, false);
    const size = typeof data === 'string' ? (data.length * 3 <= parts.maxInline ? data.length : utf8ByteLength(data)) : data.byteLength;
    if (size > parts.maxValue) {
      throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}value of ${size} bytes at ${JSON.stringify(path)} exceeds maxValueBytes (${parts.maxValue}); split it or raise the limit`, { details: { path, size, max: parts.maxValue } });
    }
    const offload = size > parts.maxInline;
    const store = parts.values.store;
    if (offload && store === undefined) {
      throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}value of ${size} bytes at ${JSON.stringify(path)} exceeds maxInlinePayloadBytes (${parts.maxInline}) and no blobStore is configured; pass blobStore to offload large values, or raise maxInlinePayloadBytes`, { details: { path, size, max: parts.maxInline } });
    }
    const hlc = pack(parts.clock.now());
    const seq = parts.log.next();
    const prev = this.#currentVersion(path);
    const stored: Uint8Array | string = offload && typeof data === 'string' ? encoder.encode(data) : data;
    const batch = parts.batch();
    const interned = parts.interner.type(type);
    parts.merge.set(batch, path, hlc, parts.origin, seq, interned, isPrimitive && !offload ? primitive! : stored, prev, true);
    const position = parts.log.push(path, interned, hlc, seq, prev, stored, !offload);
    parts.counters.localWrites++;
    if (offload) {
      const bytes = stored as Uint8Array;
      parts.log.offload(
        store!,
        parts.offload,
        seq,
        bytes,
        position,
        (ref) => {
          parts.counters.offloadStored++;
          const record = parts.tree.get(path);
          // Still this write: from now on the value is its reference, its bytes in memory only while the bound allows.
          if (record !== undefined && record.type !== '' && record.origin === parts.origin && record.seq === seq) parts.values.offloaded(path, record, ref, bytes);
        },
        (error) => {
          parts.counters.offloadFailed++;
          parts.warn(`${PREFIX}could not store the value at '${path}' as a blob (${error instanceof Error ? error.message : String(error)}); it is sent inline`);
        },
      );
    }
    parts.publish(batch);
    return new VersionStamp(hlc, parts.origin, seq);
  }

  /** Deletes the subtree at `path`, leaving a tombstone. */
  delete(path: string, system: boolean): Version {
    const parts = this.#parts;
    this.#checkPath(path, system, true);
    const hlc = pack(parts.clock.now());
    const seq = parts.log.next();
    const prev = this.#currentVersion(path);
    const batch = parts.batch();
    parts.merge.delete(batch, path, hlc, parts.origin, seq, prev, true);
    parts.log.push(path, '', hlc, seq, prev, undefined, true);
    parts.counters.localWrites++;
    parts.publish(batch);
    return new VersionStamp(hlc, parts.origin, seq);
  }

  #checkPath(path: string, system: boolean, allowRoot: boolean): void {
    if (!isValidPath(path) || (path === '' && !allowRoot)) throw invalidPath(path);
    if (isSystemPath(path) && !system) {
      throw new StatemeshError('RESERVED_PATH', `${PREFIX}${JSON.stringify(path)} is under the reserved "__system" prefix, which holds the library's own metrics; write elsewhere`, { details: { path } });
    }
    const mount = this.#parts.mounts?.touched(path, 'read-only', allowRoot);
    if (mount !== undefined) {
      throw new StatemeshError('READ_ONLY', `${PREFIX}${JSON.stringify(path)} ${mount === path || isUnder(path, mount) ? 'is under' : 'covers'} the read-only mount ${JSON.stringify(mount)} on node '${this.#parts.nodeId}': it takes other nodes' writes only; write elsewhere or mount it read-write`, { details: { path, mount } });
    }
  }

  /** What a local write at `path` overwrites: the value there, else the newest tombstone at or above it. */
  #currentVersion(path: string): Version | undefined {
    const tree = this.#parts.tree;
    const record = tree.get(path);
    if (record !== undefined && record.type !== '') return { hlc: record.hlc, origin: record.origin, seq: record.seq };
    const cover = tree.coveringTombstone(path);
    return cover === undefined ? undefined : { hlc: cover[1].hlc, origin: cover[1].origin, seq: cover[1].seq };
  }
}
