import { CodecRegistry, StatemeshError, type BlobStore, type ReplicaStore, type Transport } from '@statemesh/contracts';
import { FileBlobStore, MemoryBlobStore } from '@statemesh/blob-store';
import { registerZstd } from '@statemesh/codec-zstd';
import { HybridClock } from '@statemesh/hlc';
import { Shard } from '@statemesh/shard';
import { resolveConfig, type SessionConfig } from './config.js';
import { openDurableReplica, restoreReplica, type OpenedReplica } from './durable-replica.js';
import { chooseIncarnation } from './node-incarnation.js';
import { ReplicaJournal } from './replica-journal.js';
import { scopeOf } from './replica-scope.js';
import { SequenceMark, type SequenceStore } from './sequence-mark.js';
import { Session } from './session.js';
import { createTransport, type CreatedTransport } from './transport-factory.js';
import { LogCursorKeeper } from './log-cursor.js';
import type { Listener, Timers } from '@statemesh/contracts';
import { realTimers } from '@statemesh/protocol';

/** Options for `join()` that are not part of the cluster config. */
export interface JoinOptions {
  /** Where one-line warnings go (default `console.warn`). */
  readonly log?: ((line: string) => void) | undefined;
  /** Timers to run on instead of the real ones (a simulator's virtual time). */
  readonly timers?: Timers | undefined;
  /** The wall clock of the node's hybrid logical clock (default `Date.now`). */
  readonly wallClock?: (() => number) | undefined;
  /** A blob store to use instead of the one `blobStorePath` names (a simulator's stand-in for a disk). */
  readonly blobStore?: BlobStore | undefined;
  /** A transport to use instead of the one the config names (already configured, not started). */
  readonly transport?: Transport | undefined;
  /**
   * Further listeners the node accepts links on, beside the config's (a WebSocket listener attached to the node's
   * HTTP server, for browsers); not with `transport` or the memory transport.
   */
  readonly listeners?: readonly Listener[] | undefined;
  /**
   * Where the incarnation and published-sequence mark are kept instead of a file beside `blobStorePath` (a
   * simulator's disk; the durable replica store). Without one (and without `blobStorePath`) every start is a new
   * incarnation.
   */
  readonly sequenceStore?: SequenceStore | undefined;
  /**
   * With a `dataDir`: the replica store to use instead of the file store in `<dataDir>/replica` (a simulator's
   * virtual disk, `MemoryReplicaStore` of `@statemesh/store-fs`). Not opened yet; `join()` opens it.
   */
  readonly replicaStore?: ReplicaStore | undefined;
}

/**
 * Starts a node: validates `config` (an `INVALID_CONFIG` error names the field at fault), assembles the replica,
 * blob store, codecs, transport and hydrator, connects to the seeds and waits for the first catch-up.
 */
export async function join(config: SessionConfig, options: JoinOptions = {}): Promise<Session> {
  const resolved = resolveConfig(config);
  if (options.transport !== undefined && (options.listeners ?? []).length > 0) {
    throw new StatemeshError('INVALID_CONFIG', '@statemesh/session: options.listeners and options.transport together: give the listeners to that transport instead', { details: { field: 'listeners' } });
  }
  const log = options.log ?? ((line: string) => console.warn(line));
  const registry = registerZstd(CodecRegistry.withBuiltins());
  const blobStore: BlobStore =
    options.blobStore ?? (resolved.blobStorePath === undefined ? new MemoryBlobStore() : await FileBlobStore.open(resolved.blobStorePath));
  const wallMs = (options.wallClock ?? Date.now)();
  // With a dataDir the replica comes back from disk before the node talks to anyone (DESIGN section 8).
  let opened: OpenedReplica | undefined;
  if (resolved.dataDir !== undefined) {
    try {
      opened = await openDurableReplica({ dataDir: resolved.dataDir, durability: resolved.durability, store: options.replicaStore, clusterId: resolved.clusterId, nodeId: resolved.nodeId, scope: scopeOf(resolved), wallMs, log });
    } catch (error) {
      await blobStore.close?.();
      throw error;
    }
  }
  const sequenceMark =
    opened !== undefined
      ? undefined
      : (options.sequenceStore ?? (resolved.blobStorePath === undefined ? undefined : SequenceMark.open(resolved.blobStorePath, resolved.nodeId)));
  // Never an (origin, seq) pair used before: the recorded incarnation and its sequence, or a new incarnation.
  const { incarnation, reserved } = opened ?? chooseIncarnation(sequenceMark, log, wallMs);
  const shard = new Shard({
    clusterId: resolved.clusterId,
    nodeId: resolved.nodeId,
    incarnation,
    clock: new HybridClock(options.wallClock === undefined ? {} : { now: options.wallClock }),
    partition: resolved.partition,
    enforcePartition: resolved.enforcePartition,
    interests: resolved.interests,
    mounts: resolved.mounts,
    resolveConflicts: resolved.resolveConflicts,
    blobStore,
    offload: { registry, codec: resolved.blobCodec, chunking: 'cdc' },
    maxInlinePayloadBytes: resolved.maxInlinePayloadBytes,
    logger: log,
  });
  shard.reserveSequence(reserved);
  let journal: ReplicaJournal | undefined;
  if (opened !== undefined) {
    restoreReplica(shard, opened); // after reserveSequence: the shard takes back its own writes only below it
    journal = new ReplicaJournal({
      store: opened.store,
      origin: shard.origin,
      reserved,
      recoveredVector: opened.recovered.vector,
      vector: () => shard.vector(),
      timers: options.timers ?? realTimers,
      log,
    });
  }
  let transport;
  let natsLog: CreatedTransport['natsLog'];
  try {
    if (options.transport !== undefined) transport = options.transport;
    else ({ transport, natsLog } = await createTransport(resolved, log, options.timers, options.listeners));
  } catch (error) {
    await journal?.close().catch(() => undefined);
    await blobStore.close?.();
    throw error;
  }
  // Where the NATS log was handed to the replica up to, kept once the replica holds it on disk.
  const logCursor =
    journal === undefined || natsLog === undefined
      ? undefined
      : new LogCursorKeeper({ dataDir: resolved.dataDir!, ...natsLog, journal, timers: options.timers ?? realTimers, log });
  const session = new Session({ config: resolved, shard, transport, blobStore, registry, sequenceMark, journal, logCursor, outbox: opened?.recovered.outbox, log, timers: options.timers });
  try {
    await session.start();
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
  logCursor?.start();
  return session;
}
