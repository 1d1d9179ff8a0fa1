// Over ~400 lines: the façade of the public Session API (tree reads and writes, `durable`/`replicated` waits,
// start and close) over its parts in replication-pump.ts, peer-catch-ups.ts, large-value-hydrations.ts and
// session-status.ts; most methods here hand over to one of them.
import { CodecRegistry, StatemeshError, isSystemPath, isValidPath, type BlobStore, type HelloInfo, type Mutation, type ReplicaStoreStats, type Transport, type Timers, type TransportHost, type Version } from '@statemesh/contracts';
import { DEFAULT_FETCH_TIMEOUT_MS } from '@statemesh/blob-store';
import { Shard, type ChangeListener, type Conflict, type ShardEntry, type ShardValue, type WatchOptions } from '@statemesh/shard';
import { every, realTimers } from '@statemesh/protocol';
import { BlobFetcher, type BlobFetchStats, type FetchBlobOptions } from './blob-fetch.js';
import type { ResolvedConfig } from './config.js';
import { HeldBlobLog } from './held-blob-log.js';
import { LargeValueHydrations } from './large-value-hydrations.js';
import { metricsOf, metricsToPaths, type SessionMetrics } from './metrics.js';
import { OnDemandValues, fetchCancelled, notHere } from './on-demand-values.js';
import { PeerCatchUps } from './peer-catch-ups.js';
import type { LogCursorKeeper } from './log-cursor.js';
import type { ReplicaJournal } from './replica-journal.js';
import { scopeCapabilities } from './replica-scope.js';
import { ReplicationPump } from './replication-pump.js';
import { ReplicationWaits, type ReplicatedOptions } from './replication-waits.js';
import type { SequenceStore } from './sequence-mark.js';
import { SESSION_PREFIX, closedError, describe, waitProblem } from './session-errors.js';
import { statusOf, type SessionProgress, type SessionReadings, type SessionStatus } from './session-status.js';

/** Options of {@link Session.fetch}. */
export interface FetchOptions {
  /** Cancels this caller's wait (`CANCELLED`); the fetch itself stops once no caller waits (on a lazy path). */
  readonly signal?: AbortSignal | undefined;
}

/** The parts `join()` assembles. */
export interface SessionParts {
  readonly config: ResolvedConfig;
  readonly shard: Shard;
  readonly transport: Transport;
  readonly blobStore: BlobStore;
  readonly registry: CodecRegistry;
  readonly sequenceMark: SequenceStore | undefined;
  /** The replica's durable home, with a `dataDir` (recovered before the session is made). */
  readonly journal?: ReplicaJournal | undefined;
  /** With a `dataDir` on NATS: where the log was handed over up to, kept as it moves; kept once more on close. */
  readonly logCursor?: LogCursorKeeper | undefined;
  /** This node's writes recovered from disk that no peer is known to have: published once a peer is up. */
  readonly outbox?: readonly Mutation[] | undefined;
  readonly log: (line: string) => void;
  /** Timers the session runs on (default: real ones). */
  readonly timers?: Timers | undefined;
}

/**
 * A running node: a replica of the state tree connected to its peers. Writes are local and immediate and reach
 * the peers within a pump cycle; remote writes arrive through `watch`. Created by `join()`. It holds the tree API
 * and the lifecycle; the send path is its {@link ReplicationPump}, catch-ups its {@link PeerCatchUps}, large
 * values its {@link LargeValueHydrations}, acknowledgement waits its {@link ReplicationWaits} and journal.
 */
export class Session {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly #config: ResolvedConfig;
  readonly #shard: Shard;
  /** `__system` metrics: a local tree that is never drained, so never replicated. */
  readonly #system: Shard;
  readonly #transport: Transport;
  readonly #blobStore: BlobStore;
  readonly #sequenceMark: SequenceStore | undefined;
  readonly #journal: ReplicaJournal | undefined;
  readonly #logCursor: LogCursorKeeper | undefined;
  readonly #replicationWaits: ReplicationWaits;
  readonly #pump: ReplicationPump;
  readonly #catchUps: PeerCatchUps;
  readonly #hydrations: LargeValueHydrations;
  /** Large values fetched because someone asked (`fetch`, `waitForData`), whatever the policy. */
  readonly #onDemand: OnDemandValues;
  readonly #blobFetcher: BlobFetcher;
  readonly #heldBlobs = new HeldBlobLog();
  readonly #log: (line: string) => void;
  readonly #metricsRoot: string;
  readonly #timers: Timers;
  #running = false;
  #closing: Promise<void> | undefined;
  #stopTimers: (() => void)[] = [];
  readonly #unwatch: () => void;

  constructor(parts: SessionParts) {
    const config = parts.config;
    this.#config = config;
    this.nodeId = config.nodeId;
    this.clusterId = config.clusterId;
    this.#shard = parts.shard;
    this.#transport = parts.transport;
    this.#blobStore = parts.blobStore;
    this.#sequenceMark = parts.sequenceMark;
    this.#journal = parts.journal;
    this.#logCursor = parts.logCursor;
    this.#log = parts.log;
    const timers = (this.#timers = parts.timers ?? realTimers);
    const running = (): boolean => this.#running;
    this.#replicationWaits = new ReplicationWaits({
      timers,
      peers: () => this.#transport.peers(),
      origin: () => this.#shard.origin,
      versionAt: (path) => this.#shard.get(path)?.version,
    });
    this.#system = new Shard({ clusterId: this.clusterId, nodeId: this.nodeId, logger: parts.log });
    this.#metricsRoot = `__system.distributed.${this.clusterId}`;
    this.#catchUps = new PeerCatchUps({
      config,
      shard: this.#shard,
      transport: this.#transport,
      timers,
      journal: this.#journal,
      notForged: (version) => this.#pump.notForged(version),
      onPeerUp: () => {
        this.#pump.peerUp();
        this.#hydrations.retryAll();
      },
      running,
      log: parts.log,
    });
    this.#pump = new ReplicationPump({
      shard: this.#shard,
      transport: this.#transport,
      timers,
      sequenceMark: this.#sequenceMark,
      journal: this.#journal,
      replicationWaits: this.#replicationWaits,
      recoveredOutbox: parts.outbox ?? [],
      peers: this.#catchUps.peers,
      running,
      log: parts.log,
    });
    this.#hydrations = new LargeValueHydrations({
      shard: this.#shard,
      blobStore: parts.blobStore,
      source: parts.transport,
      registry: parts.registry,
      timers,
      policy: config.hydrate,
      maxBackoffMs: config.antiEntropyIntervalMs,
      heldBlobs: this.#heldBlobs,
      awaited: (path) => this.#onDemand.isAwaited(path),
      running,
      peerCount: () => this.#catchUps.peers.size,
      log: parts.log,
    });
    this.#onDemand = new OnDemandValues({
      timers,
      get: (path) => this.#shard.get(path),
      read: (path) => this.#shard.read(path),
      watch: (path, listener) => this.#shard.watch(path, listener),
      hydrate: (path) => this.#hydrations.hydrate(path),
      cancel: (path) => this.#hydrations.cancel(path),
      isEager: (path) => this.#hydrations.isEager(path),
      running,
    });
    this.#blobFetcher = new BlobFetcher({ store: parts.blobStore, source: parts.transport, timeoutMs: DEFAULT_FETCH_TIMEOUT_MS, log: parts.log });
    // A value that arrives as a blob reference under the hydration policy is hydrated at once: fetched, verified,
    // assembled, then installed. Others wait for a fetch(path) or waitForData.
    this.#unwatch = this.#shard.watch('', (changes) => {
      for (const change of changes) if (change.pending && change.ref !== undefined) this.#hydrations.hydrateIfEager(change.path); // retried, logged once
    });
  }

  /**
   * Connects the transport and starts the pump; resolves once the first catch-up is done (or timed out) and
   * `requirePeers` peers are up. Rejects with `NO_PEERS` when fewer are up by `joinTimeoutMs`.
   */
  async start(): Promise<void> {
    await this.#transport.start(this.#host);
    this.#running = true;
    const { pumpIntervalMs, metricsIntervalMs, antiEntropyIntervalMs } = this.#config;
    this.#stopTimers = [
      every(this.#timers, pumpIntervalMs, () => this.#pump.pump()),
      every(this.#timers, metricsIntervalMs, () => this.#publishMetrics()),
      every(this.#timers, antiEntropyIntervalMs, () => {
        this.#hydrations.retryAll();
        this.#catchUps.antiEntropy();
      }),
    ];
    this.#publishMetrics();
    // Large values recovered from disk arrive as references: hydrated (from this node's blob store first) by policy.
    for (const { path } of this.#shard.pendingBlobs()) this.#hydrations.hydrateIfEager(path);
    await this.#catchUps.waitForJoin(() => this.#closing !== undefined);
  }

  // ------------------------------------------------------------------ the tree

  /** Writes a JSON value at `path`; returns its version. Peers see it within a pump cycle. */
  set(path: string, value: unknown): Version {
    this.#assertOpen('set');
    return this.#afterWrite(this.#shard.set(path, value));
  }

  /** Writes a string (type `text`). */
  setText(path: string, text: string): Version {
    this.#assertOpen('setText');
    return this.#afterWrite(this.#shard.setText(path, text));
  }

  /** Writes bytes with a value type; values over `maxInlinePayloadBytes` travel as chunks. */
  setBytes(path: string, bytes: Uint8Array, type = 'bytes'): Version {
    this.#assertOpen('setBytes');
    return this.#afterWrite(this.#shard.setBytes(path, bytes, type));
  }

  /** Deletes the subtree at `path`. */
  delete(path: string): Version {
    this.#assertOpen('delete');
    return this.#afterWrite(this.#shard.delete(path));
  }

  /** The value at `path` (`pending: true` while a large value is being fetched), or undefined. */
  get(path: string): ShardValue | undefined {
    return isSystemPath(path) ? this.#system.get(path) : this.#shard.get(path);
  }

  /** Every value under `prefix` (the reserved `__system` metrics only when asked for by prefix). */
  entries(prefix = ''): ShardEntry[] {
    return isSystemPath(prefix) ? this.#system.entries(prefix) : this.#shard.entries(prefix);
  }

  /**
   * Calls `listener` once per applied batch with the changes under `prefix`, local and remote, each with its value
   * and version; `{ initial: true }` first delivers what is already there. Listeners stop once `close()` is
   * called; watching a closed session returns a no-op unsubscribe.
   */
  watch(prefix: string, listener: ChangeListener, options?: WatchOptions): () => void {
    if (this.#closing !== undefined) return () => undefined;
    const open: ChangeListener = (changes) => {
      if (this.#closing === undefined) listener(changes);
    };
    return isSystemPath(prefix) ? this.#system.watch(prefix, open, options) : this.#shard.watch(prefix, open, options);
  }

  /** A hash of the visible state and versions: equal digests mean equal replicas. */
  digest(): string {
    return this.#shard.digest();
  }

  /** The version vector: per origin, the highest sequence applied with no gap. */
  vector(): Record<string, number> {
    return this.#shard.vector();
  }

  /** The most recent conflicts, most recent first. */
  recentConflicts(max = 32): Conflict[] {
    return this.#shard.recentConflicts(max);
  }

  /**
   * Resolves with the value at `path` once it is present and hydrated (fetching it, retried with backoff, where
   * hydration is lazy); rejects with `TIMEOUT` after `timeoutMs`.
   */
  waitForData(path: string, timeoutMs = 10_000): Promise<ShardValue> {
    return this.#onDemand.waitFor(path, timeoutMs);
  }

  /**
   * Fetches the large value at `path` now, whatever the hydration policy, and resolves with it once installed
   * (at once when it is already here). Concurrent callers share one fetch; a caller's `signal` rejects its call
   * with `CANCELLED`, and the fetch stops when no caller is left (unless the path is hydrated eagerly). Rejects
   * with `BLOB_NOT_FOUND` when nothing is at `path`, or with the fetch's error (`NO_PEERS`, `CHUNK_NOT_FOUND`,
   * `TIMEOUT`, ...): call again to retry.
   */
  fetch(path: string, options: FetchOptions = {}): Promise<ShardValue> {
    if (this.#closing !== undefined) return Promise.reject(new StatemeshError('CLOSED', `${SESSION_PREFIX}fetch(${JSON.stringify(path)}) after close(); join again`));
    if (!isValidPath(path)) return Promise.reject(new StatemeshError('INVALID_PATH', `${SESSION_PREFIX}fetch needs a valid path, not ${JSON.stringify(path)}`, { details: { path } }));
    if (options.signal?.aborted === true) return Promise.reject(fetchCancelled(path));
    const value = this.get(path);
    if (value === undefined) return Promise.reject(notHere(path));
    if (!value.pending) return Promise.resolve(value);
    return this.#onDemand.fetch(path, options.signal);
  }

  /** Stores `bytes` in this node's blob store, where any peer can fetch them by digest; resolves with the digest (SHA-256, hex). */
  putBlob(bytes: Uint8Array): Promise<string> {
    if (this.#closing !== undefined) return Promise.reject(new StatemeshError('CLOSED', `${SESSION_PREFIX}putBlob after close(); join again`));
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new StatemeshError('INVALID_ARGUMENT', `${SESSION_PREFIX}putBlob needs a Uint8Array, not ${typeof bytes}`));
    return this.#blobStore.put(bytes);
  }

  /**
   * The blob with this digest: from this node's store, else from the up peers in turn, verified by SHA-256 and
   * stored here (so this node serves it to its peers afterwards). Concurrent callers share one fetch; `signal`
   * rejects a caller with `CANCELLED`. Rejects with `CHUNK_NOT_FOUND`, `NO_PEERS`, `TIMEOUT` or `CHUNK_DIGEST_MISMATCH`.
   */
  fetchBlob(digest: string, options: FetchBlobOptions = {}): Promise<Uint8Array> {
    if (this.#closing !== undefined) return Promise.reject(new StatemeshError('CLOSED', `${SESSION_PREFIX}fetchBlob after close(); join again`));
    return this.#blobFetcher.fetch(digest, options);
  }

  /** What `fetchBlob` did so far: blobs found here, fetched (by peer), refused. */
  blobFetchStats(): BlobFetchStats {
    return this.#blobFetcher.stats();
  }

  /** Publishes pending local writes now and waits until large values written so far are stored. */
  async flush(): Promise<void> {
    await this.#shard.flushOffloads();
    await this.#pump.flush();
  }

  // ------------------------------------------------------------------ acknowledgements

  /**
   * Resolves once the write at `version` is on this node's disk (DESIGN section 2, level `durable`): it then
   * survives the crash of every node. Rejects with `TIMEOUT` after `timeoutMs`, with `STORE_FULL` when the disk
   * refused it, and with `INVALID_CONFIG` when the session has no `dataDir`.
   */
  durable(version: Version, timeoutMs = 10_000): Promise<void> {
    if (this.#journal === undefined) {
      return Promise.reject(new StatemeshError('INVALID_CONFIG', `${SESSION_PREFIX}durable() needs a session with config.dataDir: without one nothing is written to disk (use replicated() to wait for peers)`, { details: { field: 'dataDir' } }));
    }
    if (this.#closing !== undefined) return Promise.reject(closedError('durable'));
    const problem = waitProblem('durable', version, timeoutMs);
    if (problem !== undefined) return Promise.reject(problem);
    return this.#journal.durable(version, timeoutMs);
  }

  /**
   * Resolves once `peers` other nodes (default 1; `'all'`: every peer known) acknowledged the write at
   * `version` (level `replicated:N`): their Ack vectors cover it, and a peer with a `dataDir` acknowledges only
   * what is on its disk. Rejects with `TIMEOUT` after `timeoutMs` (default 10 000). For a large value of this
   * node's, a peer counts once it also holds its chunks (said in its Acks): a peer with `hydrate: 'lazy'` counts
   * only once something fetched the value there. A large write superseded here since needs only its reference.
   */
  replicated(version: Version, options: ReplicatedOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('replicated'));
    const problem = waitProblem('replicated', version, options?.timeoutMs ?? 0);
    if (problem !== undefined) return Promise.reject(problem);
    return this.#replicationWaits.wait(version, options);
  }

  /** The replica store's size and history, with a `dataDir`; undefined without one. */
  storeStats(): ReplicaStoreStats | undefined {
    return this.#journal?.stats();
  }

  // ------------------------------------------------------------------ status

  /** Running state, peers and counters. */
  status(): SessionStatus {
    return statusOf(this.#readings());
  }

  /** Catch-ups and hydrations under way, with how far each has got (for progress displays). */
  progress(): SessionProgress {
    return { catchUps: this.#catchUps.progress(), hydrations: this.#hydrations.progress() };
  }

  /** The counters published under `__system.distributed.<cluster>`. */
  metrics(): SessionMetrics {
    return metricsOf(this.#readings());
  }

  /** True until `close()` is called. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Flushes pending writes to connected peers, then closes every socket and timer. Idempotent. From the call on,
   * writes throw `CLOSED`, watchers no longer fire and pending `waitForData` calls reject with `CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      this.#log(`${SESSION_PREFIX}flush on close failed: ${describe(error)}`);
    }
    this.#running = false;
    for (const stop of this.#stopTimers) stop();
    this.#unwatch();
    this.#hydrations.close();
    this.#onDemand.close(); // waitForData calls end with CLOSED, their timers cleared
    this.#replicationWaits.close(closedError('replicated'));
    this.#catchUps.close();
    await this.#transport.close();
    // The transport hands nothing more over: its last cursor, kept once the journal holds what it covers.
    await this.#logCursor?.close();
    // Resolves once everything appended (all this node applied) is on disk.
    await this.#journal?.close().catch((error: unknown) => this.#log(`${SESSION_PREFIX}closing the replica store failed: ${describe(error)}`));
    await this.#blobStore.close?.();
    this.#sequenceMark?.close();
  }

  readonly #host: TransportHost = {
    // The Hello's vector is a peer's first acknowledgement from us: with a dataDir, only what is on disk too.
    hello: (): HelloInfo => ({ vector: this.#journal?.durableVector() ?? this.#shard.vector(), interests: this.#config.interests, capabilities: scopeCapabilities(this.#config) }),
    // With a dataDir, a node acknowledges only what is on its disk (`replicated:N` is durable there).
    appliedVector: () => this.#journal?.durableVector() ?? this.#shard.vector(),
    // Large values stored whole here, listed in the Acks: `replicated:N` of a large value waits for its chunks.
    heldBlobs: (mark, max) => this.#heldBlobs.since(mark, max),
    onBlobsHeld: (digests, from) => this.#replicationWaits.blobsHeld(from, digests),
    onMutations: (batch, from) => this.#pump.receive(batch, from),
    onPeerEvent: (event) => this.#catchUps.onPeerEvent(event),
    readChunk: (digest) => this.#blobStore.get(digest),
    snapshot: (request) => this.#catchUps.serveSnapshot(request),
  };

  /** What `status()` and `metrics()` read. */
  #readings(): SessionReadings {
    return { nodeId: this.nodeId, clusterId: this.clusterId, running: this.#running, shard: this.#shard, transport: this.#transport, pump: this.#pump, catchUps: this.#catchUps, hydrations: this.#hydrations };
  }

  #assertOpen(what: string): void {
    if (this.#closing !== undefined) throw closedError(what);
    this.#journal?.assertWritable();
  }

  #afterWrite(version: Version): Version {
    this.#pump.scheduleFlush();
    return version;
  }

  #publishMetrics(): void {
    if (this.#journal !== undefined) {
      // This node's writes a peer acknowledged leave the store's outbox.
      let reached = 0;
      for (const peer of this.#transport.peers()) reached = Math.max(reached, peer.acknowledged?.[this.#shard.origin] ?? 0);
      if (reached > 0) this.#journal.appendReplicated(reached);
    }
    for (const [path, value] of metricsToPaths(this.#metricsRoot, this.metrics())) {
      const current = this.#system.get(path);
      if (current?.value !== value) this.#system.set(path, value, { system: true });
    }
    // The local tree is never drained to peers; drop its outbox so it does not grow.
    this.#system.drain();
  }
}
