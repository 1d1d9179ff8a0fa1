import type { Entry } from '@statemesh/contracts';
import type { Disk } from './disk.js';
import { TEMP_SUFFIX, snapshotName } from './file-names.js';
import { SNAPSHOT_MAGIC, fileHeader, frameRecord } from './log-frame.js';
import { encodeRecord } from './record-codec.js';
import type { StoreRecord } from './record-codec.js';
import type { ReplicaState } from './replica-state.js';

const PAGE_ENTRIES = 4096;
const PAGE_BYTES = 1024 * 1024;
const WRITE_BYTES = 1024 * 1024; // also how often the event loop runs while a snapshot is written

/** What a written snapshot holds. */
export interface SnapshotInfo {
  readonly entries: number;
  readonly bytes: number;
}

/**
 * Writes `state` as the snapshot before log segment `segment`: to a temporary file, synced, renamed into place,
 * then the directory synced, so that a crash leaves either the old snapshot or the whole new one. `shouldStop`
 * is asked between writes (a store abandoned mid-way leaves only a temporary file, removed on open).
 */
export async function writeSnapshot(disk: Disk, segment: number, state: ReplicaState, shouldStop: () => boolean): Promise<SnapshotInfo | undefined> {
  const name = snapshotName(segment);
  const temp = name + TEMP_SUFFIX;
  await disk.remove(temp);
  const file = await disk.append(temp);
  let buffered: Uint8Array[] = [fileHeader(SNAPSHOT_MAGIC, segment)];
  let bufferedBytes = buffered[0]!.length;
  let total = 0;
  let records = 0;
  const entries = state.entries();
  const flush = async (): Promise<void> => {
    const out = concat(buffered, bufferedBytes);
    buffered = [];
    bufferedBytes = 0;
    total += out.length;
    await file.write(out);
  };
  const put = async (record: StoreRecord): Promise<void> => {
    const [kind, body] = encodeRecord(record);
    const framed = frameRecord(kind, body);
    buffered.push(framed);
    bufferedBytes += framed.length;
    if (record.kind !== 'end') records++;
    if (bufferedBytes >= WRITE_BYTES) await flush();
  };
  try {
    if (state.identity !== undefined) await put({ kind: 'identity', identity: state.identity });
    await put({ kind: 'incarnation', incarnation: state.incarnation });
    // Superseded writes of this node are not among the entries: the highest seq it used is kept as a reservation.
    await put({ kind: 'sequence', seq: state.identity === undefined ? state.sequence : state.lastSequence(state.identity.nodeId) });
    await put({ kind: 'replicated', seq: state.replicated });
    await put(state.scope === undefined ? { kind: 'vector', vector: state.vector } : { kind: 'scope', scope: state.scope, vector: state.vector });
    let page: Entry[] = [];
    let pageBytes = 0;
    for (const entry of entries) {
      page.push(entry);
      pageBytes += entry.path.length + (entry.payload instanceof Uint8Array ? entry.payload.length : 100);
      if (page.length >= PAGE_ENTRIES || pageBytes >= PAGE_BYTES) {
        await put({ kind: 'packed', entries: page });
        page = [];
        pageBytes = 0;
        if (shouldStop()) return undefined;
      }
    }
    if (page.length > 0) await put({ kind: 'packed', entries: page });
    const outbox = state.outbox();
    for (let at = 0; at < outbox.length; at += PAGE_ENTRIES) await put({ kind: 'local', mutations: outbox.slice(at, at + PAGE_ENTRIES) });
    await put({ kind: 'end', records });
    await flush();
    await file.sync();
  } finally {
    await file.close();
  }
  if (shouldStop()) return undefined;
  await disk.rename(temp, name);
  await disk.syncDirectory();
  return { entries: entries.length, bytes: total };
}

/** The chunks in one buffer. */
export function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
