import { StatemeshError, assertId } from '@statemesh/contracts';
import type {
  FetchChunkOptions,
  Mutation,
  PeerEvent,
  PeerInfo,
  SnapshotPage,
  SnapshotRequest,
  Transport,
  TransportHost,
  TransportStats,
} from '@statemesh/contracts';
import { MEMORY_PROTOCOL_VERSION, frameSize } from './memory-frame.js';
import type { MemoryFrame } from './memory-frame.js';
import type { NetworkPort } from './network-port.js';
import { PageQueue } from './page-queue.js';
import type { PeerConnection } from './peer-connection.js';
import type { SchedulerTimer } from './scheduler.js';

/** Options of {@link MemoryNetwork.createTransport}. */
export interface MemoryTransportOptions {
  /** This node's id (1–64 characters `[A-Za-z0-9_-]`), unique among the network's open transports. */
  readonly nodeId: string;
  /** Cluster id; a peer announcing another is refused. */
  readonly clusterId: string;
  /** Node ids to connect to (and reconnect to, with backoff, until `close()`). */
  readonly seeds?: readonly string[];
  /** Heartbeat interval (default 1000 ms); silent 3 intervals is `suspect`, 5 is down. */
  readonly heartbeatIntervalMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 1000;
const SUSPECT_INTERVALS = 3;
const DEAD_INTERVALS = 5;

type MutableStats = { -readonly [K in keyof TransportStats]: TransportStats[K] };

/** A chunk request waiting for its answer. */
interface ChunkWait {
  readonly peer: string;
  answer(found: boolean, data: Uint8Array | undefined): void;
}

/**
 * A {@link Transport} between nodes of one process, made by {@link MemoryNetwork.createTransport}. Same
 * semantics as the network transports: Hello exchange, asynchronous delivery, heartbeats with suspect and down,
 * reconnect with backoff, chunk and snapshot requests. Frames are cloned: no object is shared between nodes.
 */
export class MemoryTransport implements Transport {
  /** This node's id. */
  readonly nodeId: string;
  /** This node's cluster id. */
  readonly clusterId: string;
  /** The heartbeat interval in milliseconds. */
  readonly heartbeatIntervalMs: number;
  readonly #seeds: readonly string[];
  readonly #port: NetworkPort;
  #state: 'new' | 'started' | 'closed' = 'new';
  #host: TransportHost | undefined;
  readonly #connections = new Map<string, PeerConnection>();
  readonly #retries = new Map<string, { attempt: number; timer: SchedulerTimer | undefined }>();
  #heartbeat: SchedulerTimer | undefined;
  #nextRequest = 1;
  readonly #chunkWaits = new Map<number, ChunkWait>();
  readonly #snapshotWaits = new Map<number, { peer: string; pages: PageQueue }>();
  readonly #onClose = new Set<() => void>();
  readonly #refusedLogged = new Set<string>();
  readonly #stats: MutableStats = {
    published: 0,
    delivered: 0,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    badFrames: 0,
    unknownFrames: 0,
    authFailures: 0,
    slowPeerDisconnects: 0,
  };

  /** Made by {@link MemoryNetwork.createTransport}; not constructed directly. */
  constructor(options: MemoryTransportOptions, port: NetworkPort) {
    this.nodeId = assertId(options.nodeId, 'nodeId');
    this.clusterId = assertId(options.clusterId, 'clusterId');
    const interval = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS;
    if (!(Number.isFinite(interval) && interval > 0)) {
      throw new StatemeshError(
        'INVALID_CONFIG',
        `@statemesh/transport-memory: heartbeatIntervalMs is ${interval}; pass a number of milliseconds > 0`,
      );
    }
    this.heartbeatIntervalMs = interval;
    const seeds = options.seeds ?? [];
    for (const seed of seeds) assertId(seed, 'seed');
    this.#seeds = [...new Set(seeds)].filter((seed) => seed !== this.nodeId);
    this.#port = port;
  }

  /** Connects to the seeds (and keeps reconnecting until `close()`); accepts connections from other nodes. */
  start(host: TransportHost): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError());
    if (this.#state === 'started') {
      return Promise.reject(
        new StatemeshError('INVALID_ARGUMENT', `@statemesh/transport-memory: ${this.nodeId} is already started; start it once`),
      );
    }
    this.#state = 'started';
    this.#host = host;
    this.#port.listen(this.nodeId, {
      accept: (connId, from) => this.#accept(connId, from),
      receive: (from, connId, frame) => this.#receive(from, connId, frame),
      connectionTo: (peer) => this.#connections.get(peer)?.connId,
    });
    for (const seed of this.#seeds) this.#dial(seed);
    this.#armHeartbeat();
    return Promise.resolve();
  }

  /** Queues the batch to every up peer (or only `to`), except `except`; returns how many peers. 0 when closed. */
  publish(batch: readonly Mutation[], options: { readonly to?: string; readonly except?: string } = {}): number {
    if (this.#state !== 'started' || batch.length === 0) return 0;
    let count = 0;
    for (const connection of this.#connections.values()) {
      if (connection.state === 'connecting') continue;
      if (options.to !== undefined && connection.peer !== options.to) continue;
      if (connection.peer === options.except) continue;
      this.#send(connection, { kind: 'mutations', mutations: batch });
      this.#stats.published += batch.length;
      count++;
    }
    return count;
  }

  /** Peers this transport is connected or connecting to. */
  peers(): PeerInfo[] {
    const now = this.#port.scheduler.now();
    const out: PeerInfo[] = [];
    for (const connection of this.#connections.values()) {
      // An inbound connection is anonymous until its Hello, as on a socket.
      if (connection.state === 'connecting' && !connection.dialed) continue;
      out.push({
        node: connection.peer,
        state: connection.state,
        lastSeenMs: Math.max(0, now - connection.lastSeen),
        protocolVersion: MEMORY_PROTOCOL_VERSION,
        address: `memory:${connection.peer}`,
      });
    }
    return out;
  }

  /** Asks `options.peer`, or every up peer in turn, for a chunk. Rejects `CHUNK_NOT_FOUND`, `NO_PEERS`, `TIMEOUT`. */
  fetchChunk(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError());
    const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    if (!(timeoutMs > 0)) {
      return Promise.reject(
        new StatemeshError('INVALID_ARGUMENT', `@statemesh/transport-memory: timeoutMs is ${timeoutMs}; pass a number > 0`),
      );
    }
    const upPeers = [...this.#connections.values()].filter((c) => c.state !== 'connecting').map((c) => c.peer);
    const candidates = options.peer === undefined ? upPeers : upPeers.filter((peer) => peer === options.peer);
    if (candidates.length === 0) {
      return Promise.reject(
        options.peer === undefined
          ? new StatemeshError('NO_PEERS', `@statemesh/transport-memory: no peer is up to fetch chunk ${digest} from; wait for a peer`)
          : new StatemeshError(
              'PEER_UNAVAILABLE',
              `@statemesh/transport-memory: peer ${options.peer} is not up; fetch from another peer or wait for it`,
            ),
      );
    }
    if (options.signal?.aborted === true) return Promise.reject(this.#cancelledError(digest));
    return new Promise<Uint8Array>((resolve, reject) => {
      const scheduler = this.#port.scheduler;
      let requestId = 0;
      let index = 0;
      const finish = (error: unknown, data?: Uint8Array): void => {
        scheduler.clearTimeout(deadline);
        this.#chunkWaits.delete(requestId);
        this.#onClose.delete(onClose);
        options.signal?.removeEventListener('abort', onAbort);
        if (data !== undefined) resolve(data);
        else reject(error as Error);
      };
      const next = (): void => {
        this.#chunkWaits.delete(requestId);
        for (; index < candidates.length; ) {
          const connection = this.#connections.get(candidates[index++]!);
          if (connection === undefined || connection.state === 'connecting') continue;
          requestId = this.#nextRequest++;
          this.#chunkWaits.set(requestId, {
            peer: connection.peer,
            answer: (found, data) => (found && data !== undefined ? finish(undefined, data) : next()),
          });
          this.#send(connection, { kind: 'chunk-request', requestId, digest });
          return;
        }
        finish(
          new StatemeshError(
            'CHUNK_NOT_FOUND',
            `@statemesh/transport-memory: no peer (${candidates.join(', ')}) holds chunk ${digest}; check that a node stored it`,
            { details: { digest, peers: candidates } },
          ),
        );
      };
      const onAbort = (): void => finish(this.#cancelledError(digest));
      const onClose = (): void => finish(this.#closedError());
      const deadline = scheduler.setTimeout(
        () =>
          finish(
            new StatemeshError(
              'TIMEOUT',
              `@statemesh/transport-memory: chunk ${digest} did not arrive within ${timeoutMs} ms; retry or raise timeoutMs`,
              { details: { digest, timeoutMs } },
            ),
          ),
        timeoutMs,
      );
      this.#onClose.add(onClose);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      next();
    });
  }

  /** Asks `peer` for a snapshot or catch-up; yields its pages in order. Rejects `PEER_UNAVAILABLE` if it goes. */
  requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    return this.#snapshot(peer, request);
  }

  /** Counters since creation. */
  stats(): TransportStats {
    return { ...this.#stats };
  }

  /** Says goodbye to every peer, stops every timer, fails what waits; idempotent. */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    this.#state = 'closed';
    // Fail waiting fetches first: dropping their peers would otherwise answer them CHUNK_NOT_FOUND.
    for (const onClose of Array.from(this.#onClose)) onClose();
    for (const connection of Array.from(this.#connections.values())) {
      this.#send(connection, { kind: 'goodbye', reason: 'closed' });
      this.#drop(connection, 'closed', false);
    }
    for (const retry of this.#retries.values()) {
      if (retry.timer !== undefined) this.#port.scheduler.clearTimeout(retry.timer);
    }
    this.#retries.clear();
    if (this.#heartbeat !== undefined) this.#port.scheduler.clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const wait of this.#snapshotWaits.values()) wait.pages.fail(this.#closedError());
    this.#snapshotWaits.clear();
    this.#port.release(this.nodeId);
    return Promise.resolve();
  }

  async *#snapshot(peer: string, request: SnapshotRequest): AsyncGenerator<SnapshotPage> {
    if (this.#state === 'closed') throw this.#closedError();
    const connection = this.#connections.get(peer);
    if (connection === undefined || connection.state === 'connecting') {
      throw new StatemeshError(
        'PEER_UNAVAILABLE',
        `@statemesh/transport-memory: peer ${peer} is not up; ask another peer or wait for it`,
      );
    }
    const requestId = this.#nextRequest++;
    const pages = new PageQueue();
    this.#snapshotWaits.set(requestId, { peer, pages });
    try {
      this.#send(connection, { kind: 'snapshot-request', requestId, request });
      for (;;) {
        const page = await pages.next();
        yield page;
        if (page.last) return;
      }
    } finally {
      this.#snapshotWaits.delete(requestId);
    }
  }

  #dial(seed: string): void {
    if (this.#state !== 'started' || this.#connections.has(seed)) return;
    const connId = this.#port.dial(this.nodeId, seed);
    if (connId === undefined) {
      this.#scheduleRetry(seed);
      return;
    }
    const now = this.#port.scheduler.now();
    const connection: PeerConnection = {
      peer: seed,
      connId,
      dialed: true,
      state: 'connecting',
      hello: undefined,
      openedAt: now,
      lastSeen: now,
    };
    this.#connections.set(seed, connection);
    this.#sendHello(connection);
  }

  #accept(connId: number, from: string): void {
    if (this.#state !== 'started') return;
    const existing = this.#connections.get(from);
    // A node that dials again is a restart (or a reconnect after its side gave up): the new connection wins.
    if (existing !== undefined) this.#drop(existing, 'replaced by a new connection from the peer', false);
    const now = this.#port.scheduler.now();
    const connection: PeerConnection = {
      peer: from,
      connId,
      dialed: false,
      state: 'connecting',
      hello: undefined,
      openedAt: now,
      lastSeen: now,
    };
    this.#connections.set(from, connection);
    this.#sendHello(connection);
  }

  #sendHello(connection: PeerConnection): void {
    const hello = this.#host!.hello();
    this.#send(connection, {
      kind: 'hello',
      node: this.nodeId,
      cluster: this.clusterId,
      minVersion: MEMORY_PROTOCOL_VERSION,
      maxVersion: MEMORY_PROTOCOL_VERSION,
      hello,
    });
  }

  #send(connection: PeerConnection, frame: MemoryFrame): void {
    this.#stats.framesSent++;
    this.#stats.bytesSent += frameSize(frame);
    this.#port.send(this.nodeId, connection.peer, connection.connId, frame);
  }

  #receive(from: string, connId: number, frame: MemoryFrame): void {
    if (this.#state !== 'started') return;
    const connection = this.#connections.get(from);
    if (connection === undefined || connection.connId !== connId) return; // a frame of a connection gone
    this.#stats.framesReceived++;
    this.#stats.bytesReceived += frameSize(frame);
    connection.lastSeen = this.#port.scheduler.now();
    if (frame.kind === 'hello') {
      this.#onHello(connection, frame);
      return;
    }
    if (frame.kind === 'goodbye') {
      this.#drop(connection, `goodbye: ${frame.reason}`, true);
      return;
    }
    if (connection.state === 'connecting') return; // nothing counts before the Hello
    if (connection.state === 'suspect') {
      connection.state = 'up';
      this.#emit({ type: 'up', peer: from, hello: connection.hello! });
    }
    switch (frame.kind) {
      case 'mutations':
        this.#stats.delivered += frame.mutations.length;
        this.#callHost(() => this.#host!.onMutations(frame.mutations, from), 'onMutations');
        return;
      case 'heartbeat':
        return;
      case 'chunk-request':
        void this.#serveChunk(connection, frame.requestId, frame.digest);
        return;
      case 'chunk-response': {
        const wait = this.#chunkWaits.get(frame.requestId);
        if (wait !== undefined && wait.peer === from) wait.answer(frame.found, frame.data);
        return;
      }
      case 'snapshot-request':
        void this.#serveSnapshot(connection, frame.requestId, frame.request);
        return;
      case 'snapshot-page': {
        const wait = this.#snapshotWaits.get(frame.requestId);
        if (wait === undefined || wait.peer !== from) return;
        if (frame.error === undefined) wait.pages.push(frame.page);
        else {
          wait.pages.fail(
            new StatemeshError(
              'PEER_UNAVAILABLE',
              `@statemesh/transport-memory: peer ${from} failed to answer the snapshot request (${frame.error}); ask again or ask another peer`,
            ),
          );
        }
        return;
      }
      default:
        this.#stats.unknownFrames++;
    }
  }

  #onHello(connection: PeerConnection, frame: Extract<MemoryFrame, { kind: 'hello' }>): void {
    if (connection.state !== 'connecting') return;
    let refusal: string | undefined;
    if (frame.cluster !== this.clusterId) {
      refusal = `cluster mismatch: ${frame.node} is in cluster ${frame.cluster}, ${this.nodeId} in ${this.clusterId}`;
    } else if (frame.minVersion > MEMORY_PROTOCOL_VERSION || frame.maxVersion < MEMORY_PROTOCOL_VERSION) {
      refusal = `no common protocol version: ${frame.node} speaks ${frame.minVersion}..${frame.maxVersion}, ${this.nodeId} ${MEMORY_PROTOCOL_VERSION}..${MEMORY_PROTOCOL_VERSION}`;
    }
    if (refusal !== undefined) {
      if (!this.#refusedLogged.has(frame.node)) {
        this.#refusedLogged.add(frame.node);
        this.#port.log(`@statemesh/transport-memory: ${this.nodeId} refused ${frame.node}: ${refusal}`);
      }
      this.#send(connection, { kind: 'goodbye', reason: refusal });
      this.#drop(connection, refusal, true);
      return;
    }
    connection.state = 'up';
    connection.hello = frame.hello;
    const retry = this.#retries.get(connection.peer);
    if (retry !== undefined) retry.attempt = 0;
    this.#emit({ type: 'up', peer: connection.peer, hello: frame.hello });
  }

  /** Forgets a connection; reports `down` if it was up; redials a seed when `redial`. */
  #drop(connection: PeerConnection, reason: string, redial: boolean): void {
    if (this.#connections.get(connection.peer) !== connection) return;
    this.#connections.delete(connection.peer);
    for (const wait of Array.from(this.#chunkWaits.values())) if (wait.peer === connection.peer) wait.answer(false, undefined);
    for (const [requestId, wait] of this.#snapshotWaits) {
      if (wait.peer !== connection.peer) continue;
      this.#snapshotWaits.delete(requestId);
      wait.pages.fail(
        new StatemeshError(
          'PEER_UNAVAILABLE',
          `@statemesh/transport-memory: peer ${connection.peer} went down during a snapshot (${reason}); ask again`,
        ),
      );
    }
    if (connection.state !== 'connecting') this.#emit({ type: 'down', peer: connection.peer, reason });
    if (redial && this.#seeds.includes(connection.peer)) this.#scheduleRetry(connection.peer);
  }

  #scheduleRetry(seed: string): void {
    if (this.#state !== 'started') return;
    const retry = this.#retries.get(seed) ?? { attempt: 0, timer: undefined };
    this.#retries.set(seed, retry);
    if (retry.timer !== undefined) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** retry.attempt);
    const delay = ceiling * (0.5 + 0.5 * this.#port.random.next()); // jitter, seeded
    retry.attempt = Math.min(retry.attempt + 1, 16);
    retry.timer = this.#port.scheduler.setTimeout(() => {
      retry.timer = undefined;
      this.#dial(seed);
    }, delay);
  }

  #armHeartbeat(): void {
    this.#heartbeat = this.#port.scheduler.setTimeout(() => {
      this.#heartbeat = undefined;
      if (this.#state !== 'started') return;
      this.#beat();
      this.#armHeartbeat();
    }, this.heartbeatIntervalMs);
  }

  #beat(): void {
    const now = this.#port.scheduler.now();
    const interval = this.heartbeatIntervalMs;
    for (const connection of Array.from(this.#connections.values())) {
      if (connection.state === 'connecting') {
        if (now - connection.openedAt >= DEAD_INTERVALS * interval) {
          this.#drop(connection, `no Hello within ${DEAD_INTERVALS * interval} ms`, true);
        }
        continue;
      }
      this.#send(connection, { kind: 'heartbeat', node: this.nodeId, sentAtMs: now });
      const silent = now - connection.lastSeen;
      if (silent >= SUSPECT_INTERVALS * interval && connection.state === 'up') {
        // Always through suspect, even when a stalled process finds the peer silent for 5 intervals at once.
        connection.state = 'suspect';
        this.#emit({ type: 'suspect', peer: connection.peer });
      }
      if (silent >= DEAD_INTERVALS * interval) {
        const reason = `silent for ${Math.round(silent)} ms (heartbeat every ${interval} ms)`;
        this.#send(connection, { kind: 'goodbye', reason });
        this.#drop(connection, reason, true);
      }
    }
  }

  async #serveChunk(connection: PeerConnection, requestId: number, digest: string): Promise<void> {
    let data: Uint8Array | undefined;
    try {
      data = await this.#host!.readChunk(digest);
    } catch (error) {
      this.#port.log(`@statemesh/transport-memory: ${this.nodeId} could not read chunk ${digest}: ${String(error)}`);
    }
    if (!this.#isCurrent(connection)) return;
    this.#send(connection, {
      kind: 'chunk-response',
      requestId,
      digest,
      found: data !== undefined,
      ...(data === undefined ? {} : { data }),
    });
  }

  async #serveSnapshot(connection: PeerConnection, requestId: number, request: SnapshotRequest): Promise<void> {
    try {
      for await (const page of this.#host!.snapshot(request)) {
        if (!this.#isCurrent(connection)) return;
        this.#send(connection, { kind: 'snapshot-page', requestId, page });
        if (page.last) return;
      }
      // A host whose pages ended without a final one: end the snapshot for the requester.
      if (this.#isCurrent(connection)) {
        this.#send(connection, { kind: 'snapshot-page', requestId, page: { entries: [], last: true } });
      }
    } catch (error) {
      this.#port.log(`@statemesh/transport-memory: ${this.nodeId} could not answer a snapshot: ${String(error)}`);
      if (this.#isCurrent(connection)) {
        this.#send(connection, {
          kind: 'snapshot-page',
          requestId,
          page: { entries: [], last: true },
          error: String(error),
        });
      }
    }
  }

  #isCurrent(connection: PeerConnection): boolean {
    return this.#state === 'started' && this.#connections.get(connection.peer) === connection;
  }

  #emit(event: PeerEvent): void {
    this.#callHost(() => this.#host!.onPeerEvent(event), 'onPeerEvent');
  }

  #callHost(call: () => void, what: string): void {
    try {
      call();
    } catch (error) {
      this.#port.log(`@statemesh/transport-memory: ${this.nodeId}'s host threw in ${what}: ${String(error)}`);
    }
  }

  #closedError(): StatemeshError {
    return new StatemeshError('CLOSED', `@statemesh/transport-memory: ${this.nodeId} is closed; create a new transport`);
  }

  #cancelledError(digest: string): StatemeshError {
    return new StatemeshError('CANCELLED', `@statemesh/transport-memory: fetch of chunk ${digest} was aborted`);
  }
}
