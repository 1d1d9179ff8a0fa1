import { StatemeshError, isValidId } from '@statemesh/contracts';
import type { CheckedMutation, Durability, RecoveredReplica, ReplicaIdentity, ReplicaRecord, ReplicaStore, ReplicaStoreStats } from '@statemesh/contracts';
import type { AppendFile, Disk } from './disk.js';
import { logName, snapshotName } from './file-names.js';
import { FILE_HEADER_BYTES, LOG_MAGIC, MAX_RECORD_BYTES, fileHeader, frameRecord } from './log-frame.js';
import { readState } from './read-state.js';
import type { SegmentInfo } from './read-state.js';
import { mutationsBodySize, writeMutationsBody } from './mutation-body.js';
import { PendingRecords } from './pending-records.js';
import { RECORD_KIND, encodeRecord } from './record-codec.js';
import type { StoreRecord } from './record-codec.js';
import { concat, writeSnapshot } from './snapshot-writer.js';
import { closed, config, describe, ioError, notStarted } from './store-error.js';

const PREFIX = '@statemesh/store-fs: ';
const DURABILITIES: readonly Durability[] = ['none', 'batched', 'sync'];

/** Options of a {@link LogReplicaStore}. */
export interface LogReplicaStoreOptions {
  /** `batched` (default): one fdatasync per tick for every record appended in it; `sync`: one per record; `none`: written, never synced. */
  readonly durability?: Durability | undefined;
  /** Start a background snapshot once the log behind the last one holds this many bytes (default 64 MiB; 0: never). */
  readonly snapshotAfterBytes?: number | undefined;
  /** After `STORE_FULL`, refuse appends for this long before trying the disk again (default 1000 ms). */
  readonly fullRetryMs?: number | undefined;
  /** Where one-line reports go (a background snapshot that failed); default `console.warn`. */
  readonly log?: ((line: string) => void) | undefined;
}

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A {@link ReplicaStore} as an append-only log of checksummed records in segments, with snapshots: over a real
 * directory (`FileReplicaStore`) or a {@link MemoryDisk}. See PROTOCOL.md for the bytes.
 */
export class LogReplicaStore implements ReplicaStore {
  readonly #disk: Disk;
  readonly #durability: Durability;
  readonly #snapshotAfter: number;
  readonly #fullRetryMs: number;
  readonly #log: (line: string) => void;
  #phase: 'new' | 'opening' | 'open' | 'closed' = 'new';
  #abandoned = false;
  /** Set once `close` began: no new snapshot starts. */
  #closing = false;
  #closed: Promise<void> | undefined;
  #locked = false;
  #file: AppendFile | undefined;
  #segment = 0;
  /** Log segments behind the snapshot, oldest first; the last is the one appended to. */
  #segments: { segment: number; bytes: number; records: number }[] = [];
  readonly #pending = new PendingRecords();
  #appended = 0;
  #durable = 0;
  readonly #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #rotateAt: number | undefined;
  #rotated: { resolve: (segment: number) => void; reject: (error: unknown) => void } | undefined;
  #compaction: Promise<void> | undefined;
  #fullAt: number | undefined;
  #failure: StatemeshError | undefined;
  #snapshot = { segment: 0, entries: 0, bytes: 0, atMs: undefined as number | undefined, count: 0 };
  #fullErrors = 0;

  constructor(disk: Disk, options: LogReplicaStoreOptions = {}) {
    const durability = options.durability ?? 'batched';
    if (!DURABILITIES.includes(durability)) throw config(`durability must be one of none, batched, sync (got ${JSON.stringify(durability)})`);
    this.#disk = disk;
    this.#durability = durability;
    this.#snapshotAfter = nonNegative(options.snapshotAfterBytes, 64 * 1024 * 1024, 'snapshotAfterBytes');
    this.#fullRetryMs = nonNegative(options.fullRetryMs, 1000, 'fullRetryMs');
    this.#log = options.log ?? ((line) => console.warn(line));
  }

  async open(identity: ReplicaIdentity): Promise<RecoveredReplica> {
    if (this.#phase !== 'new') throw new StatemeshError(this.#phase === 'closed' ? 'CLOSED' : 'INVALID_ARGUMENT', `${PREFIX}open() was already called on this store; create a new store to open it again`);
    if (typeof identity !== 'object' || identity === null || !isValidId(identity.clusterId) || !isValidId(identity.nodeId)) {
      throw new StatemeshError('INVALID_ID', `${PREFIX}open needs { clusterId, nodeId }, each 1-64 characters of [A-Za-z0-9_-]`);
    }
    this.#phase = 'opening';
    try {
      return await this.#recover(identity);
    } catch (error) {
      this.#phase = 'closed';
      await this.#release();
      throw ioError(error, 'open the store');
    }
  }

  async #recover(identity: ReplicaIdentity): Promise<RecoveredReplica> {
    await this.#disk.ensure();
    try {
      await this.#disk.lock();
    } catch (error) {
      const holder = (error as { holder?: unknown }).holder;
      if (typeof holder !== 'string') throw error;
      throw config(`${this.#disk.describe('LOCK')}: the store is open in ${holder}; one process per data directory (stop it, or give this node its own directory)`);
    }
    this.#locked = true;
    const read = await readState(this.#disk, { allowTornTail: true });
    const { state } = read;
    if (state.identity !== undefined && (state.identity.clusterId !== identity.clusterId || state.identity.nodeId !== identity.nodeId)) {
      throw config(`the store belongs to node '${state.identity.nodeId}' of cluster '${state.identity.clusterId}', not '${identity.nodeId}' of '${identity.clusterId}'; give each node its own data directory`);
    }
    for (const name of read.stale) await this.#disk.remove(name);
    this.#snapshot = { segment: read.snapshot?.segment ?? 0, entries: read.snapshot?.entries ?? 0, bytes: read.snapshot?.bytes ?? 0, atMs: undefined, count: 0 };
    this.#segments = read.segments.map((s: SegmentInfo) => ({ ...s }));
    const last = this.#segments.at(-1);
    this.#segment = last?.segment ?? Math.max(1, this.#snapshot.segment);
    this.#file = await this.#disk.append(logName(this.#segment));
    if (last === undefined || last.bytes === 0) {
      await this.#file.truncate(0);
      await this.#file.write(fileHeader(LOG_MAGIC, this.#segment));
      if (last === undefined) this.#segments.push({ segment: this.#segment, bytes: FILE_HEADER_BYTES, records: 0 });
      else last.bytes = FILE_HEADER_BYTES;
    } else if (read.tornBytes > 0) {
      await this.#file.truncate(last.bytes);
    }
    const opening: StoreRecord[] = [];
    if (state.identity === undefined) opening.push({ kind: 'identity', identity: { clusterId: identity.clusterId, nodeId: identity.nodeId } });
    opening.push({ kind: 'incarnation', incarnation: state.incarnation + 1 });
    const framed = opening.map((record) => frameRecord(...encodeRecord(record)));
    for (const record of opening) state.apply(record);
    const bytes = concat(framed, framed.reduce((n, f) => n + f.length, 0));
    // The incarnation is durable before open resolves, whatever the durability.
    await this.#file.write(bytes);
    await this.#file.sync();
    await this.#disk.syncDirectory();
    const current = this.#segments.at(-1)!;
    current.bytes += bytes.length;
    current.records += framed.length;
    this.#phase = 'open';
    return state.recovered(identity.nodeId, read.tornBytes);
  }

  append(record: ReplicaRecord): void {
    this.#checkWritable();
    if (typeof record !== 'object' || record === null) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}append needs a record object`);
    if (['identity', 'incarnation', 'end', 'packed'].includes(record.kind as string)) {
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}'${record.kind}' records are the store's own; append local, applied, entries, vector, sequence, replicated, collected or scope`);
    }
    // The records of every write are framed in place, without the wire encoder, when they can be.
    const fast = record.kind === 'local' || record.kind === 'applied' ? mutationsBodySize(record.mutations) : undefined;
    if (fast !== undefined) {
      tooLarge(record.kind, fast);
      this.#pending.add(RECORD_KIND[record.kind as 'local' | 'applied'], fast, (out, at) => writeMutationsBody((record as { mutations: readonly CheckedMutation[] }).mutations, out, at));
    } else {
      const [kind, body] = encodeRecord(record);
      tooLarge(record.kind, body.length);
      this.#pending.add(kind, body.length, (out, at) => out.set(body, at));
    }
    this.#appended++;
    this.#schedule();
  }

  commit(): Promise<void> {
    if (this.#phase === 'new' || this.#phase === 'opening') return Promise.reject(notStarted());
    if (this.#durable >= this.#appended) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#waiters.push({ target: this.#appended, resolve, reject }));
  }

  snapshot(): Promise<void> {
    if (this.#phase !== 'open' || this.#closing) return Promise.reject(this.#phase === 'new' || this.#phase === 'opening' ? notStarted() : closed());
    this.#compaction ??= this.#compact().finally(() => (this.#compaction = undefined));
    return this.#compaction;
  }

  stats(): ReplicaStoreStats {
    let logBytes = 0;
    let logRecords = 0;
    for (const s of this.#segments) {
      logBytes += s.bytes;
      logRecords += s.records;
    }
    return {
      durability: this.#durability,
      bytes: logBytes + this.#snapshot.bytes,
      logBytes,
      logRecords,
      pendingRecords: this.#appended - this.#durable,
      snapshotEntries: this.#snapshot.entries,
      snapshotAtMs: this.#snapshot.atMs,
      snapshots: this.#snapshot.count,
      fullErrors: this.#fullErrors,
    };
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    if (this.#phase !== 'open') {
      this.#phase = 'closed';
      return;
    }
    this.#closing = true;
    let failure: unknown;
    await this.commit().catch((error: unknown) => (failure = error));
    await this.#compaction?.catch(() => undefined);
    await this.#flushing;
    this.#phase = 'closed';
    await this.#release();
    if (failure !== undefined) throw failure;
  }

  /**
   * The process dies now, as far as this store can tell: nothing more is written, pending records are dropped,
   * handles are released. For crash tests and simulators; a real node never calls it.
   */
  async abandon(): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#abandoned = true;
    this.#pending.clear();
    this.#phase = 'closed';
    this.#rotated?.reject(closed());
    this.#rotated = undefined;
    this.#rotateAt = undefined;
    await this.#flushing?.catch(() => undefined);
    await this.#compaction?.catch(() => undefined);
    this.#failWaiters(closed());
    await this.#release();
  }

  async #release(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close().catch(() => undefined);
    if (this.#locked) {
      this.#locked = false;
      await this.#disk.unlock().catch(() => undefined);
    }
  }

  #checkWritable(): void {
    if (this.#phase !== 'open') throw this.#phase === 'closed' ? closed() : notStarted();
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#fullAt !== undefined) {
      if (Date.now() - this.#fullAt < this.#fullRetryMs) {
        throw new StatemeshError('STORE_FULL', `${PREFIX}the disk of ${this.#disk.describe(logName(this.#segment))} is full; the write was refused (every write acknowledged before is kept). Free space; writes are tried again after ${this.#fullRetryMs} ms`);
      }
      this.#fullAt = undefined;
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined) return;
    this.#scheduled = true;
    // One tick's appends go out together: the flush starts once the current turn of the event loop is over.
    setImmediate(() => {
      this.#scheduled = false;
      this.#startFlush();
    });
  }

  #startFlush(): void {
    if (this.#flushing !== undefined) return;
    this.#flushing = this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      // Appends made while the loop was finishing found it running and did not schedule one.
      if (!this.#abandoned && (this.#pending.count > 0 || this.#rotateAt !== undefined)) this.#schedule();
    });
  }

  async #flushLoop(): Promise<void> {
    while (!this.#abandoned && (this.#pending.count > 0 || this.#rotateAt !== undefined)) {
      if (this.#rotateAt !== undefined && this.#durable >= this.#rotateAt) {
        await this.#rotate();
        continue;
      }
      let take = this.#durability === 'sync' ? 1 : this.#pending.count;
      if (this.#rotateAt !== undefined) take = Math.min(take, this.#rotateAt - this.#durable);
      const bytes = this.#pending.take(take);
      const length = bytes.length;
      const current = this.#segments.at(-1)!;
      try {
        await this.#file!.write(bytes);
        if (this.#durability !== 'none') await this.#file!.sync();
      } catch (error) {
        if (this.#abandoned) return;
        await this.#writeFailed(error, current.bytes);
        continue;
      } finally {
        this.#pending.settled();
      }
      if (this.#abandoned) return;
      current.bytes += length;
      current.records += take;
      this.#durable += take;
      while (this.#waiters.length > 0 && this.#waiters[0]!.target <= this.#durable) this.#waiters.shift()!.resolve();
    }
    if (this.#snapshotAfter > 0 && this.#compaction === undefined && this.#phase === 'open' && !this.#closing && this.stats().logBytes >= this.#snapshotAfter) {
      this.snapshot().catch((error: unknown) => this.#log(`${PREFIX}a background snapshot failed (the log is kept, and compacted at the next one): ${describe(error)}`));
    }
  }

  /** A write or sync failed: cut what it may have left, refuse what was pending, and say why. */
  async #writeFailed(error: unknown, goodLength: number): Promise<void> {
    const code = (error as { code?: unknown } | undefined)?.code;
    const full = code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
    const file = this.#disk.describe(logName(this.#segment));
    let failure: StatemeshError;
    if (full) {
      this.#fullErrors++;
      this.#fullAt = Date.now();
      failure = new StatemeshError('STORE_FULL', `${PREFIX}the disk of ${file} is full: the last writes were refused and are not durable (every write acknowledged before is kept). Free space and write again`, { cause: error });
    } else {
      failure = new StatemeshError('IO_ERROR', `${PREFIX}writing ${file} failed; the store refuses writes from now on. Check the disk, then restart the node`, { cause: error });
      this.#failure = failure;
    }
    try {
      await this.#file!.truncate(goodLength);
    } catch (cause) {
      this.#failure = new StatemeshError('IO_ERROR', `${PREFIX}cannot cut ${file} back to its last good record after a failed write; restart the node (the torn tail is cut on open)`, { cause });
    }
    this.#pending.clear();
    this.#appended = this.#durable;
    if (this.#rotateAt !== undefined) this.#rotateAt = this.#durable;
    this.#failWaiters(failure);
  }

  #failWaiters(error: unknown): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  /** Closes the current segment (everything before is durable) and starts the next one. */
  async #rotate(): Promise<void> {
    const rotated = this.#rotated!;
    this.#rotateAt = undefined;
    this.#rotated = undefined;
    const next = this.#segment + 1;
    let file: AppendFile | undefined;
    try {
      await this.#disk.remove(logName(next)); // only ever a left-over of a rotation that failed half-way
      file = await this.#disk.append(logName(next));
      await file.write(fileHeader(LOG_MAGIC, next));
      await file.sync();
      await this.#disk.syncDirectory();
    } catch (error) {
      // Appends stay in the current segment, which must remain the last one: a torn tail is only cut there.
      await file?.close().catch(() => undefined);
      await this.#disk.remove(logName(next)).catch(() => undefined);
      rotated.reject(error);
      return;
    }
    await this.#file!.close().catch(() => undefined);
    this.#file = file;
    this.#segment = next;
    this.#segments.push({ segment: next, bytes: FILE_HEADER_BYTES, records: 0 });
    rotated.resolve(next - 1);
  }

  async #compact(): Promise<void> {
    const rotation = new Promise<number>((resolve, reject) => (this.#rotated = { resolve, reject }));
    this.#rotateAt = this.#appended;
    this.#startFlush();
    let upTo: number;
    try {
      upTo = await rotation;
    } catch (error) {
      throw ioError(error, 'start a new log segment for a snapshot');
    }
    const segment = upTo + 1;
    try {
      const read = await readState(this.#disk, { upTo, allowTornTail: false });
      const info = await writeSnapshot(this.#disk, segment, read.state, () => this.#abandoned);
      if (info === undefined) return;
      const previous = this.#snapshot;
      this.#snapshot = { segment, entries: info.entries, bytes: info.bytes, atMs: Date.now(), count: previous.count + 1 };
      this.#segments = this.#segments.filter((s) => s.segment >= segment);
      if (previous.segment > 0) await this.#disk.remove(snapshotName(previous.segment));
      for (const s of read.segments) await this.#disk.remove(logName(s.segment));
      await this.#disk.syncDirectory();
    } catch (error) {
      await this.#disk.remove(snapshotName(segment) + '.tmp').catch(() => undefined);
      throw ioError(error, 'write a snapshot');
    }
  }
}

function tooLarge(kind: string, bodyBytes: number): void {
  if (bodyBytes + 1 > MAX_RECORD_BYTES) {
    throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}a '${kind}' record of ${bodyBytes} bytes is over the ${MAX_RECORD_BYTES}-byte limit; append it in smaller batches (large values belong in the blob store)`);
  }
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw config(`${name} must be a non-negative integer (got ${String(value)})`);
  return value;
}
