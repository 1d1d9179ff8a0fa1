// Over the ~400-line rule, knowingly: the session still holds the tree API, the replication pump, catch-up,
// hydration and status in one class. Splitting it into named parts is the open issue "The replica is a tree".
import {
  CodecRegistry,
  StatemeshError,
  isBlobRef,
  isStatemeshError,
  isSystemPath,
  isUnderAny,
  isValidPath,
  touchesAnySubtree,
  type BlobStore,
  type CheckedMutation,
  type HelloInfo,
  type Mutation,
  type ReplicaStoreStats,
  type PeerEvent,
  type PeerState,
  type SnapshotPage,
  type SnapshotRequest,
  type Transport,
  type Timers,
  type TransportHost,
  type Version,
} from '@statemesh/contracts';
import { DEFAULT_FETCH_TIMEOUT_MS, Hydrator } from '@statemesh/blob-store';
import { Shard, type ChangeListener, type Conflict, type ShardEntry, type ShardValue, type WatchOptions } from '@statemesh/shard';
import { BlobFetcher, type BlobFetchStats, type FetchBlobOptions } from './blob-fetch.js';
import { HeldBlobLog } from './held-blob-log.js';
import type { ResolvedConfig } from './config.js';
import { metricsToPaths, type SessionMetrics } from './metrics.js';
import type { SequenceStore } from './sequence-mark.js';
import { every, realTimers } from '@statemesh/protocol';
import { OnDemandValues, fetchCancelled, notHere } from './on-demand-values.js';
import type { ReplicaJournal } from './replica-journal.js';
import { scopeCapabilities, vouchesFor } from './replica-scope.js';
import { ReplicationWaits, type ReplicatedOptions } from './replication-waits.js';

/** One peer as `status()` reports it. */
export interface PeerStatus {
  readonly node: string;
  readonly state: PeerState;
  /** Milliseconds since anything was last heard from the peer. */
  readonly lastSeenMs: number;
  /** How many of this node's writes the peer has not acknowledged applying (from its Ack frames). */
  readonly lagSeq: number;
  /** The peer's wall clock minus ours, from its heartbeats; undefined before the first. */
  readonly clockSkewMs?: number | undefined;
  /** Whom the peer announced it is linked to (its up peers, this node among them); undefined: it announces none. */
  readonly links?: readonly string[] | undefined;
  /** How many up peers it announced, when more than `links` lists. */
  readonly linkCount?: number | undefined;
}

/** What the session keeps of an up peer beyond what the transport reports. */
interface RemotePeer {
  /** Prefixes the peer replicates; empty: everything. Writes outside them are not sent to it. */
  readonly interests: readonly string[];
  /** Whether the peer's vector claims writes only where this node's gates let them in too (see `vouchesFor`). */
  readonly vouches: boolean;
  /** Set while a catch-up from this peer is running. */
  catchUp: Promise<void> | undefined;
}

/** A session's state at a glance. */
export interface SessionStatus {
  readonly running: boolean;
  readonly nodeId: string;
  readonly clusterId: string;
  readonly peerCount: number;
  readonly peers: readonly PeerStatus[];
  /** Sequence number of this node's latest write. */
  readonly localSequence: number;
  readonly pumpCycles: number;
  readonly pendingHydrations: number;
  /** Conflicts detected on this replica. */
  readonly conflicts: number;
}

/** Long operations under way: catch-ups from peers and large values being fetched. */
export interface SessionProgress {
  readonly catchUps: readonly { readonly peer: string; readonly pages: number; readonly entries: number; readonly elapsedMs: number }[];
  readonly hydrations: readonly {
    readonly path: string;
    readonly state: string;
    /** Bytes of the whole value. */
    readonly size: number;
    /** Distinct chunks of the value (0 until its manifest is in), and how many are stored here. */
    readonly chunks: number;
    readonly fetched: number;
  }[];
}

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
  /** This node's writes recovered from disk that no peer is known to have: published once a peer is up. */
  readonly outbox?: readonly Mutation[] | undefined;
  readonly log: (line: string) => void;
  /** Timers the session runs on (default: real ones). */
  readonly timers?: Timers | undefined;
}

const PREFIX = '@statemesh/session: ';
const SNAPSHOT_PAGE_SIZE = 1000;
/** Why a chunk fetch fails while the cluster is merely busy or changing: retried quietly. */
const PASSING_FETCH_ERRORS = new Set(['NO_PEERS', 'CHUNK_NOT_FOUND', 'TIMEOUT', 'PEER_UNAVAILABLE']);
/** The attempt at which a hydration that keeps failing for a passing reason is reported as a failure. */
const HYDRATION_PATIENCE = 8;
/** How often `join()` looks whether `requirePeers` peers are up. */
const JOIN_POLL_MS = 20;

/**
 * A running node: a replica of the state tree connected to its peers. Writes are local and immediate and reach
 * the peers within a pump cycle; remote writes arrive through `watch`. Created by `join()`.
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
  readonly #hydrator: Hydrator;
  readonly #sequenceMark: SequenceStore | undefined;
  readonly #journal: ReplicaJournal | undefined;
  readonly #replicationWaits: ReplicationWaits;
  /** Batches drained and not yet on disk: sent, in order, once they are. */
  readonly #held: Mutation[][] = [];
  #sending: Promise<void> | undefined;
  #recoveredOutbox: readonly Mutation[];
  readonly #log: (line: string) => void;
  /** Up peers, from the transport's peer events. */
  readonly #peers = new Map<string, RemotePeer>();
  readonly #metricsRoot: string;
  #running = false;
  #closing: Promise<void> | undefined;
  readonly #timers: Timers;
  #stopPump: (() => void) | undefined;
  #stopMetrics: (() => void) | undefined;
  #stopAntiEntropy: (() => void) | undefined;
  #antiEntropyTurn = 0;
  /** Catch-ups under way, by peer. */
  readonly #catchUpProgress = new Map<string, { pages: number; entries: number; startedAt: number }>();
  /** Paths whose large value is being hydrated. */
  readonly #hydrating = new Set<string>();
  #flushScheduled = false;
  #pumpCycles = 0;
  #catchUpsCompleted = 0;
  #catchUpsFailed = 0;
  #catchUpsInterrupted = 0;
  #hydrationsCompleted = 0;
  #hydrationsFailed = 0;
  #hydrationsRetried = 0;
  /** Paths whose hydration failure was logged: logged once per value, not once per retry. */
  readonly #hydrationsReported = new Set<string>();
  /**
   * Values whose hydration failed (no peer had the chunks yet: a relay may still be fetching them itself), by
   * path: retried after a backoff from 50 ms doubling to the anti-entropy interval, and when a peer comes up.
   */
  readonly #hydrationRetries = new Map<string, { attempts: number; timer: object | undefined }>();
  /** Large values fetched because someone asked (`fetch`, `waitForData`), whatever the policy. */
  readonly #onDemand: OnDemandValues;
  readonly #blobFetcher: BlobFetcher;
  readonly #heldBlobs = new HeldBlobLog();
  #firstCatchUp: { promise: Promise<void>; resolve: () => void };
  readonly #unwatch: () => void;

  constructor(parts: SessionParts) {
    this.#config = parts.config;
    this.nodeId = parts.config.nodeId;
    this.clusterId = parts.config.clusterId;
    this.#shard = parts.shard;
    this.#transport = parts.transport;
    this.#blobStore = parts.blobStore;
    this.#sequenceMark = parts.sequenceMark;
    this.#journal = parts.journal;
    this.#recoveredOutbox = parts.outbox ?? [];
    this.#log = parts.log;
    this.#timers = parts.timers ?? realTimers;
    this.#replicationWaits = new ReplicationWaits({
      timers: this.#timers,
      peers: () => this.#transport.peers(),
      origin: () => this.#shard.origin,
      versionAt: (path) => this.#shard.get(path)?.version,
    });
    this.#system = new Shard({ clusterId: this.clusterId, nodeId: this.nodeId, logger: parts.log });
    this.#metricsRoot = `__system.distributed.${this.clusterId}`;
    this.#hydrator = new Hydrator({ store: parts.blobStore, source: parts.transport, registry: parts.registry });
    this.#onDemand = new OnDemandValues({
      timers: this.#timers,
      get: (path) => this.#shard.get(path),
      read: (path) => this.#shard.read(path),
      watch: (path, listener) => this.#shard.watch(path, listener),
      hydrate: (path) => this.#hydrate(path),
      cancel: (path) => this.#cancelHydration(path),
      isEager: (path) => this.#isEager(path),
      running: () => this.#running,
    });
    this.#blobFetcher = new BlobFetcher({ store: parts.blobStore, source: parts.transport, timeoutMs: DEFAULT_FETCH_TIMEOUT_MS, log: parts.log });
    let resolve!: () => void;
    this.#firstCatchUp = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    // A value that arrives as a blob reference under the hydration policy is hydrated at once: fetched, verified,
    // assembled, then installed. Others wait for a fetch(path) or waitForData.
    this.#unwatch = this.#shard.watch('', (changes) => {
      for (const change of changes) if (change.pending && change.ref !== undefined && this.#isEager(change.path)) void this.#hydrate(change.path).catch(() => undefined); // retried, logged once
    });
  }

  /**
   * Connects the transport and starts the pump; resolves once the first catch-up is done (or timed out) and
   * `requirePeers` peers are up. Rejects with `NO_PEERS` when fewer are up by `joinTimeoutMs`.
   */
  async start(): Promise<void> {
    await this.#transport.start(this.#host);
    this.#running = true;
    this.#stopPump = every(this.#timers, this.#config.pumpIntervalMs, () => this.#pump());
    this.#stopMetrics = every(this.#timers, this.#config.metricsIntervalMs, () => this.#publishMetrics());
    this.#stopAntiEntropy = every(this.#timers, this.#config.antiEntropyIntervalMs, () => this.#antiEntropy());
    this.#publishMetrics();
    // Large values recovered from disk arrive as references: hydrated (from this node's blob store first) by policy.
    for (const { path } of this.#shard.pendingBlobs()) if (this.#isEager(path)) void this.#hydrate(path).catch(() => undefined);
    const { seeds, snapshotOnJoin, joinTimeoutMs, requirePeers } = this.#config;
    const deadline = this.#timers.now() + joinTimeoutMs;
    let timedOut = false;
    if (seeds.length > 0 && snapshotOnJoin && joinTimeoutMs > 0) {
      // A restarted node gets back what it held from its peers' catch-up: wait for the first one (its sequence
      // numbers never depend on it: see docs/adr/0004-no-reused-sequence.md).
      let timer: object | undefined;
      await Promise.race([
        this.#firstCatchUp.promise,
        new Promise<void>((resolve) => {
          timer = this.#timers.setTimeout(() => {
            timedOut = true;
            resolve();
          }, joinTimeoutMs);
        }),
      ]);
      if (timer !== undefined) this.#timers.clearTimeout(timer);
    }
    // Polled on the session's timers (a simulator's virtual time included) rather than hooked into peer events.
    while (this.#peers.size < requirePeers && this.#timers.now() < deadline && this.#closing === undefined) {
      await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, Math.min(JOIN_POLL_MS, deadline - this.#timers.now())));
    }
    if (this.#closing !== undefined) throw closedError('join');
    if (this.#peers.size < requirePeers) {
      throw new StatemeshError(
        'NO_PEERS',
        `${PREFIX}node ${this.nodeId} has ${plural(this.#peers.size, 'peer')} up after ${joinTimeoutMs} ms, and config.requirePeers asks for ${requirePeers} (seeds: ${seeds.join(', ') || 'none'}); start those nodes, check the seed addresses, or raise joinTimeoutMs`,
        { details: { up: this.#peers.size, required: requirePeers, seeds: [...seeds], joinTimeoutMs } },
      );
    }
    if (timedOut && this.#peers.size === 0) {
      this.#log(`${PREFIX}node ${this.nodeId} joined with no peer up after ${joinTimeoutMs} ms: no answer from seeds ${seeds.join(', ')}; still redialling them (config.requirePeers makes join() fail instead)`);
    }
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
    if (this.#closing !== undefined) return Promise.reject(new StatemeshError('CLOSED', `${PREFIX}fetch(${JSON.stringify(path)}) after close(); join again`));
    if (!isValidPath(path)) return Promise.reject(new StatemeshError('INVALID_PATH', `${PREFIX}fetch needs a valid path, not ${JSON.stringify(path)}`, { details: { path } }));
    if (options.signal?.aborted === true) return Promise.reject(fetchCancelled(path));
    const value = this.get(path);
    if (value === undefined) return Promise.reject(notHere(path));
    if (!value.pending) return Promise.resolve(value);
    return this.#onDemand.fetch(path, options.signal);
  }

  /** Stores `bytes` in this node's blob store, where any peer can fetch them by digest; resolves with the digest (SHA-256, hex). */
  putBlob(bytes: Uint8Array): Promise<string> {
    if (this.#closing !== undefined) return Promise.reject(new StatemeshError('CLOSED', `${PREFIX}putBlob after close(); join again`));
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new StatemeshError('INVALID_ARGUMENT', `${PREFIX}putBlob needs a Uint8Array, not ${typeof bytes}`));
    return this.#blobStore.put(bytes);
  }

  /**
   * The blob with this digest: from this node's store, else from the up peers in turn, verified by SHA-256 and
   * stored here (so this node serves it to its peers afterwards). Concurrent callers share one fetch; `signal`
   * rejects a caller with `CANCELLED`. Rejects with `CHUNK_NOT_FOUND`, `NO_PEERS`, `TIMEOUT` or `CHUNK_DIGEST_MISMATCH`.
   */
  fetchBlob(digest: string, options: FetchBlobOptions = {}): Promise<Uint8Array> {
    if (this.#closing !== undefined) return Promise.reject(new StatemeshError('CLOSED', `${PREFIX}fetchBlob after close(); join again`));
    return this.#blobFetcher.fetch(digest, options);
  }

  /** What `fetchBlob` did so far: blobs found here, fetched (by peer), refused. */
  blobFetchStats(): BlobFetchStats {
    return this.#blobFetcher.stats();
  }

  /** Publishes pending local writes now and waits until large values written so far are stored. */
  async flush(): Promise<void> {
    await this.#shard.flushOffloads();
    this.#pump();
    while (this.#sending !== undefined) await this.#sending;
  }

  // ------------------------------------------------------------------ acknowledgements

  /**
   * Resolves once the write at `version` is on this node's disk (DESIGN section 2, level `durable`): it then
   * survives the crash of every node. Rejects with `TIMEOUT` after `timeoutMs`, with `STORE_FULL` when the disk
   * refused it, and with `INVALID_CONFIG` when the session has no `dataDir`.
   */
  durable(version: Version, timeoutMs = 10_000): Promise<void> {
    if (this.#journal === undefined) {
      return Promise.reject(new StatemeshError('INVALID_CONFIG', `${PREFIX}durable() needs a session with config.dataDir: without one nothing is written to disk (use replicated() to wait for peers)`, { details: { field: 'dataDir' } }));
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
    const localSequence = this.#shard.localSeq;
    return {
      running: this.#running,
      nodeId: this.nodeId,
      clusterId: this.clusterId,
      peerCount: this.#peers.size,
      peers: this.#transport.peers().map((peer) => ({
        node: peer.node,
        state: peer.state,
        lastSeenMs: peer.lastSeenMs,
        lagSeq: Math.max(0, localSequence - (peer.acknowledged?.[this.#shard.origin] ?? 0)),
        clockSkewMs: peer.clockSkewMs,
        links: peer.links,
        linkCount: peer.linkCount,
      })),
      localSequence,
      pumpCycles: this.#pumpCycles,
      pendingHydrations: this.#hydrator.pendingCount,
      conflicts: this.#shard.counters()['conflicts.detected'] ?? 0,
    };
  }

  /** Catch-ups and hydrations under way, with how far each has got (for progress displays). */
  progress(): SessionProgress {
    const now = this.#timers.now();
    return {
      // A catch-up that has brought nothing yet (most anti-entropy rounds bring nothing at all) is no news.
      catchUps: [...this.#catchUpProgress].filter(([, p]) => p.entries > 0).map(([peer, p]) => ({ peer, pages: p.pages, entries: p.entries, elapsedMs: now - p.startedAt })),
      hydrations: [...this.#hydrating].flatMap((path) => {
        const p = this.#hydrator.progress(path);
        return p === undefined ? [] : [{ path, state: p.state, size: p.size, chunks: p.chunks, fetched: p.fetched }];
      }),
    };
  }

  /** The counters published under `__system.distributed.<cluster>`. */
  metrics(): SessionMetrics {
    const counters = this.#shard.counters();
    const transport = this.#transport.stats();
    return {
      remote: {
        applied: counters['remote.applied'] ?? 0,
        duplicates: counters['remote.duplicates'] ?? 0,
        stale: counters['remote.stale'] ?? 0,
        rejected: counters['remote.rejected'] ?? 0,
      },
      conflicts: {
        detected: counters['conflicts.detected'] ?? 0,
        lost: counters['conflicts.lost'] ?? 0,
        recent: this.#shard.recentConflicts(32),
      },
      transport: {
        published: transport.published,
        delivered: transport.delivered,
        peers: this.#peers.size,
        badFrames: transport.badFrames,
        authFailures: transport.authFailures,
        slowPeerDisconnects: transport.slowPeerDisconnects,
      },
      catchUps: { completed: this.#catchUpsCompleted, failed: this.#catchUpsFailed, interrupted: this.#catchUpsInterrupted },
      hydrations: { completed: this.#hydrationsCompleted, failed: this.#hydrationsFailed, retried: this.#hydrationsRetried, pending: this.#hydrator.pendingCount },
      pumpCycles: this.#pumpCycles,
      localSequence: this.#shard.localSeq,
      entries: counters['entries'] ?? 0,
      tombstones: counters['tombstones'] ?? 0,
    };
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
      this.#log(`${PREFIX}flush on close failed: ${describe(error)}`);
    }
    this.#running = false;
    this.#stopPump?.();
    this.#stopMetrics?.();
    this.#stopAntiEntropy?.();
    for (const retry of this.#hydrationRetries.values()) if (retry.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    this.#hydrationRetries.clear();
    this.#unwatch();
    this.#hydrator.close();
    this.#onDemand.close(); // waitForData calls end with CLOSED, their timers cleared
    this.#replicationWaits.close(closedError('replicated'));
    this.#firstCatchUp.resolve();
    await this.#transport.close();
    // Resolves once everything appended (all this node applied) is on disk.
    await this.#journal?.close().catch((error: unknown) => this.#log(`${PREFIX}closing the replica store failed: ${describe(error)}`));
    await this.#blobStore.close?.();
    this.#sequenceMark?.close();
  }

  // ------------------------------------------------------------------ replication

  readonly #host: TransportHost = {
    // The Hello's vector is a peer's first acknowledgement from us: with a dataDir, only what is on disk too.
    hello: (): HelloInfo => ({ vector: this.#journal?.durableVector() ?? this.#shard.vector(), interests: this.#config.interests, capabilities: scopeCapabilities(this.#config) }),
    // With a dataDir, a node acknowledges only what is on its disk (`replicated:N` is durable there).
    appliedVector: () => this.#journal?.durableVector() ?? this.#shard.vector(),
    // Large values stored whole here, listed in the Acks: `replicated:N` of a large value waits for its chunks.
    heldBlobs: (mark, max) => this.#heldBlobs.since(mark, max),
    onBlobsHeld: (digests, from) => this.#replicationWaits.blobsHeld(from, digests),
    onMutations: (batch, from) => this.#receive(batch, from),
    onPeerEvent: (event) => this.#onPeerEvent(event),
    readChunk: (digest) => this.#blobStore.get(digest),
    snapshot: (request) => this.#serveSnapshot(request),
  };

  #receive(batch: readonly CheckedMutation[], from: string): void {
    const result = this.#shard.apply(batch, from);
    if (this.#journal !== undefined && result.relay.length > 0) this.#journal.appendApplied(result.relay.filter((m) => this.#notForged(m)));
    if (result.rejected > 0) {
      const first = result.reasons[0];
      this.#log(`${PREFIX}rejected ${result.rejected} of ${plural(batch.length, 'write')} from '${from}'${first ? `: ${first.reason}` : ''}`);
    }
    // Relay what was new here to every other peer, so a cluster need not be a full mesh.
    if (result.relay.length > 0) this.#send(result.relay, from);
  }

  #onPeerEvent(event: PeerEvent): void {
    if (event.type === 'up') {
      const interests = event.hello.interests ?? [];
      const link: RemotePeer = { interests, vouches: vouchesFor(interests, event.hello.capabilities ?? [], this.#config.interests), catchUp: undefined };
      this.#peers.set(event.peer, link);
      if (this.#config.snapshotOnJoin) link.catchUp = this.#catchUp(event.peer);
      else this.#firstCatchUp.resolve();
      // Writes made while the peer was away reach it through its own catch-up from us; the live stream resumes now.
      this.#scheduleFlush();
      if (this.#recoveredOutbox.length > 0) {
        // Writes recovered from disk that may never have left this node before it stopped.
        this.#send(this.#recoveredOutbox, undefined);
        this.#recoveredOutbox = [];
      }
      this.#retryHydrations();
    } else if (event.type === 'down') {
      this.#peers.delete(event.peer);
    }
  }

  async #catchUp(peer: string): Promise<void> {
    const request: SnapshotRequest = { prefixes: this.#config.interests, vector: this.#shard.vector(), pageSize: SNAPSHOT_PAGE_SIZE };
    const pages = this.#transport.requestSnapshot(peer, request)[Symbol.asyncIterator]();
    const progress = { pages: 0, entries: 0, startedAt: this.#timers.now() };
    this.#catchUpProgress.set(peer, progress);
    try {
      for (;;) {
        const next = await this.#within(pages.next(), this.#config.catchUpPageTimeoutMs, `the next catch-up page from '${peer}'`);
        if (next.done === true) break;
        // The vector is raised only with the last page (a catch-up cut off half-way is asked for again), and only
        // to the vector of a peer whose gates let in all this node's do (it claims what it turned away).
        const vouches = this.#peers.get(peer)?.vouches === true;
        this.#shard.applyPage(vouches ? next.value : { ...next.value, vector: undefined }, peer);
        if (this.#journal !== undefined) this.#journal.appendEntries(next.value.entries.filter((e) => this.#notForged(e.version)));
        progress.pages++;
        progress.entries += next.value.entries.length;
      }
      this.#catchUpsCompleted++;
    } catch (error) {
      // The peer left mid catch-up: it is asked for again when the peer is back. Counted, not logged.
      const interrupted = isStatemeshError(error, 'PEER_UNAVAILABLE');
      if (interrupted) this.#catchUpsInterrupted++;
      else this.#catchUpsFailed++;
      if (this.#running && !interrupted) this.#log(`${PREFIX}catch-up from '${peer}' failed (asked for again at the next anti-entropy round, or when the peer reconnects): ${describe(error)}`);
    } finally {
      pages.return?.().catch(() => undefined);
      if (this.#catchUpProgress.get(peer) === progress) this.#catchUpProgress.delete(peer);
      const link = this.#peers.get(peer);
      if (link !== undefined) link.catchUp = undefined;
      this.#firstCatchUp.resolve();
    }
  }

  /** Resolves as `promise` does, or rejects with `TIMEOUT` after `ms` on the session's timers. */
  #within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => reject(new StatemeshError('TIMEOUT', `${PREFIX}no answer within ${ms} ms: ${what}`)), ms);
      promise.then(
        (value) => {
          this.#timers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.#timers.clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }

  /** Catches up from the next up peer in turn, unless a catch-up is already running. */
  #antiEntropy(): void {
    this.#retryHydrations();
    if (!this.#running || !this.#config.snapshotOnJoin) return;
    const links = [...this.#peers];
    if (links.length === 0 || links.some(([, link]) => link.catchUp !== undefined)) return;
    const [node, link] = links[this.#antiEntropyTurn++ % links.length]!;
    link.catchUp = this.#catchUp(node);
  }

  async *#serveSnapshot(request: SnapshotRequest): AsyncGenerator<SnapshotPage> {
    for (const page of this.#shard.pages(request)) {
      yield page;
      // Let live traffic through between pages of a large snapshot.
      await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, 0));
    }
  }

  #assertOpen(what: string): void {
    if (this.#closing !== undefined) throw closedError(what);
    this.#journal?.assertWritable();
  }

  #afterWrite(version: Version): Version {
    this.#scheduleFlush();
    return version;
  }

  /** An idle node flushes at once (on the next turn of the event loop); a busy one fills batches meanwhile. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || !this.#running) return;
    this.#flushScheduled = true;
    this.#timers.setTimeout(() => {
      this.#flushScheduled = false;
      this.#pump();
    }, 0);
  }

  /** False for a write claiming this node's origin with a seq it never used: the shard refused it, the disk must not keep it. */
  #notForged(version: { readonly origin: string; readonly seq: number }): boolean {
    return version.origin !== this.#shard.origin || version.seq <= this.#shard.localSeq;
  }

  #pump(): void {
    this.#pumpCycles++;
    if (this.#held.length > 0) this.#sendHeld();
    if (this.#shard.outboxSize === 0) return;
    const batch = this.#shard.drain();
    if (batch.length === 0) return;
    this.#replicationWaits.noteDrained(batch);
    // Before anyone can acknowledge these writes, remember that their sequence numbers are taken: a restarted
    // node then never reuses one.
    const last = batch[batch.length - 1]!.seq;
    this.#sequenceMark?.raise(last);
    if (this.#journal === undefined) {
      this.#send(batch, undefined);
      return;
    }
    this.#journal.appendLocal(batch);
    this.#held.push(batch);
    this.#sendHeld();
  }

  /**
   * Sends the held batches, in order, that are on disk; waits for the first one that is not yet (retried at each
   * pump while the disk is full). A write leaves the process only once it is durable here: a restart from disk
   * then never reuses a sequence number a peer holds, and never skips one (no gap in the peers' vectors).
   */
  #sendHeld(): void {
    if (this.#sending !== undefined || this.#journal === undefined) return;
    while (this.#held.length > 0) {
      const batch = this.#held[0]!;
      const pending = this.#journal.whenOwnDurable(batch[batch.length - 1]!.seq);
      if (pending !== undefined) {
        this.#sending = pending.then(
          () => {
            this.#sending = undefined;
            this.#sendHeld();
          },
          () => {
            this.#sending = undefined; // the disk refused it (logged): the next pump tries again
          },
        );
        return;
      }
      this.#held.shift();
      this.#send(batch, undefined);
    }
  }

  /** Sends a batch to every up peer but `except`, each getting only the writes under its interests. */
  #send(batch: readonly Mutation[], except: string | undefined): void {
    // Also with no peer up: a broadcast medium takes it anyway (NATS's log keeps it for nodes yet to come).
    let everyoneWantsEverything = true;
    for (const link of this.#peers.values()) if (link.interests.length !== 0) everyoneWantsEverything = false;
    if (everyoneWantsEverything) {
      // The same array the transport handed us (a relay of a whole batch) goes out as the bytes it came in.
      this.#transport.publish(batch, except === undefined ? undefined : { except });
      return;
    }
    for (const [node, link] of this.#peers) {
      if (node === except) continue;
      const wanted = link.interests.length === 0 ? batch : batch.filter((m) => wants(link.interests, m));
      if (wanted.length > 0) this.#transport.publish(wanted, { to: node });
    }
  }

  // ------------------------------------------------------------------ large values

  /** Whether the hydration policy fetches the value at `path` as soon as it arrives. */
  #isEager(path: string): boolean {
    const policy = this.#config.hydrate;
    return policy === 'eager' || (policy !== 'lazy' && isUnderAny(path, policy));
  }

  /**
   * Hydrates the large value at `path` (joining a hydration under way); settles once it is installed (or replaced
   * by a newer write), rejects when it failed. A failure is retried with backoff where hydration is eager or a
   * `waitForData` waits.
   */
  #hydrate(path: string): Promise<void> {
    const value = this.#shard.get(path);
    if (value?.ref === undefined || !isBlobRef(value.ref) || !value.pending) return Promise.resolve();
    const ref = value.ref;
    this.#hydrator.request(path, ref);
    this.#hydrating.add(path);
    return this.#hydrator.wait(path).then(
      (bytes) => {
        this.#heldBlobs.add(ref.digest); // manifest and every chunk are in the blob store now
        // A newer write may have replaced the value meanwhile: install only what is still current.
        if (this.#shard.get(path)?.ref?.digest !== ref.digest) {
          if (this.#shard.get(path)?.pending !== true) this.#hydrating.delete(path);
          return;
        }
        this.#shard.markHydrated(path, bytes);
        this.#hydrationsCompleted++;
        this.#hydrating.delete(path);
        this.#hydrationRetries.delete(path);
        this.#hydrationsReported.delete(path);
      },
      (error: unknown) => {
        if (!this.#running || isStatemeshError(error, 'CANCELLED')) throw error;
        if (this.#isEager(path) || this.#onDemand.isAwaited(path)) {
          // A relay still fetching the chunks itself, or a peer just gone, passes: counted as a retry, not logged.
          // Anything else, or a passing cause that lasts, is a failure: counted and logged once per value.
          const attempts = (this.#hydrationRetries.get(path)?.attempts ?? 0) + 1;
          if (PASSING_FETCH_ERRORS.has(isStatemeshError(error) ? error.code : '') && attempts !== HYDRATION_PATIENCE) this.#hydrationsRetried++;
          else if (!this.#hydrationsReported.has(path)) {
            this.#hydrationsFailed++;
            this.#hydrationsReported.add(path);
            this.#log(`${PREFIX}hydration of ${JSON.stringify(path)} failed (attempt ${attempts}), still retrying with backoff: ${describe(error)}`);
          } else this.#hydrationsRetried++;
          this.#scheduleHydrationRetry(path);
        }
        throw error;
      },
    );
  }

  /** Stops the hydration at `path` and its retries (nobody waits for it any more). */
  #cancelHydration(path: string): void {
    this.#hydrator.cancel(path);
    this.#hydrating.delete(path);
    const retry = this.#hydrationRetries.get(path);
    if (retry?.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    this.#hydrationRetries.delete(path);
  }

  #scheduleHydrationRetry(path: string): void {
    const retry = this.#hydrationRetries.get(path) ?? { attempts: 0, timer: undefined };
    if (retry.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    const delay = Math.min(this.#config.antiEntropyIntervalMs, 50 * 2 ** retry.attempts);
    retry.attempts++;
    retry.timer = this.#timers.setTimeout(() => {
      retry.timer = undefined;
      this.#retryHydration(path);
    }, delay);
    this.#hydrationRetries.set(path, retry);
  }

  /** Retries every failed hydration now (a peer came up: it may hold the chunks). */
  #retryHydrations(): void {
    for (const path of Array.from(this.#hydrationRetries.keys())) this.#retryHydration(path); // a copy: retrying edits the map
  }

  #retryHydration(path: string): void {
    const retry = this.#hydrationRetries.get(path);
    if (retry === undefined || !this.#running || this.#peers.size === 0) return;
    if (retry.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    retry.timer = undefined;
    if (this.#shard.get(path)?.pending !== true || !(this.#isEager(path) || this.#onDemand.isAwaited(path))) {
      this.#hydrationRetries.delete(path);
      return;
    }
    void this.#hydrate(path).catch(() => undefined); // a failure schedules the next retry
  }

  // ------------------------------------------------------------------ metrics

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

/** Whether a peer replicating `interests` wants `mutation`: a write under one of them, or a delete of a subtree holding one. */
function wants(interests: readonly string[], mutation: Mutation): boolean {
  return touchesAnySubtree(mutation.path, interests, mutation.op === 'delete');
}

/** Why `durable`/`replicated` cannot wait for `version` within `timeoutMs`, or undefined. */
function waitProblem(what: string, version: Version, timeoutMs: number): StatemeshError | undefined {
  const v = version as Partial<Version> | undefined;
  if (typeof v !== 'object' || v === null || typeof v.origin !== 'string' || !Number.isSafeInteger(v.seq)) {
    return new StatemeshError('INVALID_ARGUMENT', `${PREFIX}${what}() needs the version a write returned ({hlc, origin, seq}), not ${JSON.stringify(version, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
    return new StatemeshError('INVALID_ARGUMENT', `${PREFIX}${what}() needs timeoutMs: a whole number of milliseconds ≥ 0, not ${String(timeoutMs)}`);
  }
  return undefined;
}

function closedError(what: string): StatemeshError {
  return new StatemeshError('CLOSED', `${PREFIX}the session is closed; ${what}() cannot run. join() again for a new one`);
}

/** `1 peer`, `2 peers`. */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
