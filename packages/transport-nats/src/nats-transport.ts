import {
  StatemeshError,
  type FetchChunkOptions,
  type Mutation,
  type PeerEvent,
  type PeerInfo,
  type SnapshotPage,
  type SnapshotRequest,
  type Transport,
  type TransportHost,
  type TransportStats,
} from '@statemesh/contracts';
import { connect, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { every, peerUnavailable, type ChunkRequests, type Stats } from '@statemesh/protocol';
import { AckPublisher } from './ack-publisher.js';
import { BatchChannel } from './batch-channel.js';
import { ChunkServer, chunkRequests, type PeerHandle } from './chunk-parts.js';
import { connectError, connectOptions } from './connect-options.js';
import { ErrorLog } from './error-log.js';
import { FrameCounter } from './frame-counter.js';
import { LogCatchUp } from './log-catch-up.js';
import { LogFollower } from './log-follower.js';
import { PACKAGE, resolveNatsOptions, type NatsTransportOptions, type ResolvedNatsOptions } from './options.js';
import { Presence } from './presence.js';
import { PresenceChannel } from './presence-channel.js';
import { SnapshotServer, pullSnapshot } from './snapshot-pages.js';
import { ensureStream } from './stream-log.js';
import { interestTokens } from './subject-routing.js';
import { batchSender, lastToken, subjectsOf, type Subjects } from './subjects.js';

/**
 * A statemesh `Transport` over NATS, a broadcast medium: each batch is published once on the cluster's subject
 * `statemesh.<cluster>.batch.<node>` and reaches every node; presence (Hello, heartbeats, Goodbye) and
 * acknowledgements are subjects too; chunks and snapshot pages are request/reply; a JetStream stream over the
 * batch subjects keeps the log that a starting node reads before it goes live. PROTOCOL.md has the subjects.
 * This file is the lifecycle (connect, subscribe, read the log, go live, close); each path is its own piece.
 */
export class NatsTransport implements Transport {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly #o: ResolvedNatsOptions;
  readonly #subjects: Subjects;
  readonly #instance = Math.floor(Math.random() * 0x1_0000_0000).toString(36);
  #epoch = 0;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #nc: NatsConnection | undefined;
  #host: TransportHost | undefined;
  #interests: readonly string[] = [];
  #maxPayload = 1024 * 1024;
  readonly #presence: Presence;
  readonly #handles = new Map<string, PeerHandle>();
  readonly #chunks: ChunkRequests<PeerHandle>;
  readonly #chunkServer: ChunkServer;
  readonly #snapshotServer: SnapshotServer;
  readonly #batches: BatchChannel;
  readonly #hellos: PresenceChannel;
  readonly #logRead: LogCatchUp;
  /** With `followLog`, once the start's read is done: the cursor moves along the live path. */
  #follower: LogFollower | undefined;
  #stopHeartbeats: (() => void) | undefined;
  readonly #acks: AckPublisher;
  readonly #log: ErrorLog;
  #nextRequestId = 1;
  #closing: Promise<void> | undefined;
  readonly #frames: FrameCounter;
  readonly #stats: Stats;

  /** Validates `options` (`INVALID_ID`, `INVALID_CONFIG`); nothing connects until {@link start}. */
  constructor(options: NatsTransportOptions) {
    const o = (this.#o = resolveNatsOptions(options));
    this.nodeId = o.nodeId;
    this.clusterId = o.clusterId;
    const subjects = (this.#subjects = subjectsOf(o.subjectPrefix, this.clusterId));
    this.#presence = new Presence((event) => this.#emit(event));
    const log = (this.#log = new ErrorLog(o.onError));
    const frames = (this.#frames = new FrameCounter(log));
    this.#stats = frames.stats;
    const publish = (subject: string, payload: Uint8Array, h?: MsgHdrs): void => this.#publish(subject, payload, h);
    const host = (): TransportHost => this.#host!;
    const context = { nodeId: this.nodeId, subjects, frames, log, host, publish };
    this.#hellos = new PresenceChannel({
      ...context,
      clusterId: this.clusterId,
      timers: o.timers,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      presence: this.#presence,
      running: () => this.#state === 'running',
      instance: () => `${this.#instance}-${this.#epoch}`,
    });
    this.#batches = new BatchChannel({
      ...context,
      stats: this.#stats,
      interests: () => this.#interests,
      maxPayload: () => this.#maxPayload,
      sending: () => this.#state === 'running' || this.#state === 'closed',
      heard: (from) => {
        if (!this.#presence.seen(from, o.timers.now())) this.#hellos.askHello(from);
      },
      delivered: () => this.#acks.soon(),
      handled: (from, name) => this.#follower?.handled(from, name),
    });
    this.#logRead = new LogCatchUp(this.nodeId, o.logCursor, (error) => log.report(error));
    this.#acks = new AckPublisher({
      timers: o.timers,
      // Each acknowledgement reaches every node: one more delay per 10 peers keeps the cluster's total bounded.
      delayMs: () => o.ackDelayMs * Math.max(1, Math.ceil(this.#presence.nodes().length / 10)),
      vector: () => (this.#state === 'running' ? this.#host?.appliedVector?.() : undefined),
      publish: (payload) => this.#publish(subjects.ack(this.nodeId), payload),
      held: (mark, max) => this.#host?.heldBlobs?.(mark, max) ?? { mark, digests: [] },
    });
    const report = (error: StatemeshError): void => log.report(error);
    this.#chunks = chunkRequests({
      timers: o.timers,
      peers: this.#handles,
      connection: () => this.#nc,
      subject: (node) => subjects.chunk(node),
      nextRequestId: () => this.#nextRequestId++,
      closedError: () => (this.#state === 'running' ? undefined : closedError('fetchChunk')),
    });
    this.#chunkServer = new ChunkServer(host, () => this.#maxPayload, report);
    this.#snapshotServer = new SnapshotServer({ host, maxPayload: () => this.#maxPayload, timers: o.timers, idleMs: o.snapshotTimeoutMs, report });
  }

  /**
   * Connects to NATS, subscribes, reads the JetStream log (when configured) into the host, then announces this
   * node. Rejects with `IO_ERROR` (no server reachable), `UNAUTHENTICATED` (credentials refused) or `INVALID_CONFIG`.
   */
  async start(host: TransportHost): Promise<void> {
    if (this.#state === 'closed') throw closedError('start');
    if (this.#state !== 'new') throw new StatemeshError('INVALID_ARGUMENT', `${PACKAGE}: start() was already called on node ${this.nodeId}`);
    this.#state = 'starting';
    this.#host = host;
    this.#interests = host.hello().interests ?? [];
    let nc: NatsConnection;
    try {
      nc = await connect(connectOptions(this.#o));
    } catch (error) {
      this.#state = 'closed';
      throw connectError(error, this.#o.servers);
    }
    this.#nc = nc;
    this.#maxPayload = nc.info?.max_payload ?? this.#maxPayload;
    void this.#watchStatus(nc);
    const s = this.#subjects;
    const on = (subject: string, handle: (msg: Msg) => void): void => {
      nc.subscribe(subject, { callback: (error, msg) => (error === null ? this.#log.guard(`handling a message on ${msg.subject}`, () => handle(msg)) : undefined) });
    };
    const stream = this.#o.stream;
    const held = stream === undefined ? undefined : this.#batches.hold(this.#o.maxHeldMutations);
    // Interests become subject filters: the server sends this node only the subtrees it replicates.
    for (const filter of this.#batchFilters()) on(filter, (msg) => this.#batches.receiveLive(msg));
    on(s.presenceAll, (msg) => this.#hellos.receive(lastToken(msg.subject), msg));
    on(s.hello(this.nodeId), (msg) => this.#hellos.receive(undefined, msg));
    on(s.ackAll, (msg) => this.#hellos.receive(lastToken(msg.subject), msg));
    on(s.chunk(this.nodeId), (msg) => void this.#chunkServer.serve(msg));
    on(s.snapshot(this.nodeId), (msg) => void this.#snapshotServer.serve(msg));
    try {
      await nc.flush();
      if (stream !== undefined) {
        await ensureStream(nc, stream, s.batchAll);
        const starting = (): boolean => this.#state === 'starting';
        await this.#logRead.read(nc, stream.name, this.#batchFilters(), held!, starting, (subject, data) => this.#batches.receive(batchSender(subject), data, true));
      }
    } catch (error) {
      this.#state = 'closed';
      await nc.close().catch(() => undefined);
      throw error;
    }
    if (this.#state !== 'starting') throw closedError('start');
    this.#state = 'running';
    // Before the held batches go to the host: the follower learns they are handled.
    if (stream !== undefined && this.#o.followLog) this.#follower = this.#logFollower(stream.name);
    this.#batches.release();
    this.#follower?.start(nc);
    this.#hellos.announce();
    this.#stopHeartbeats = every(this.#o.timers, this.#o.heartbeatIntervalMs, () => this.#tick());
  }

  /**
   * Publishes `batch` once on this node's batch subject: every node of the medium receives it (each keeps what
   * its interests cover) and the log keeps it; `except` and `to` travel as headers the receivers honour. Batches
   * for single peers (`to`) published in one turn of the event loop go out together as one message, so the
   * per-peer subsets a host sends to peers with interests cost one publish, not one per peer. Mutations that came
   * over NATS are left out: every node here has them. Returns the NATS peers reached.
   */
  publish(batch: readonly Mutation[], options: { readonly to?: string; readonly except?: string } = {}): number {
    if (this.#state !== 'running' || batch.length === 0) return 0;
    const { to, except } = options;
    if (to !== undefined && !this.#presence.has(to)) return 0;
    const queued = this.#batches.publish(batch, to, except);
    if (queued === 0) return 0;
    const reached = to === undefined ? this.#presence.nodes().filter((node) => node !== except).length : 1;
    this.#stats.published += reached * queued;
    return reached;
  }

  /** Every node heard on the medium, with liveness, acknowledged vector and clock skew. */
  peers(): PeerInfo[] {
    return this.#presence.describe(this.#o.timers.now(), this.#nc?.getServer() ?? this.#o.servers[0]!);
  }

  /** Fetches a chunk by request/reply from `options.peer` or each peer in turn. `CHUNK_NOT_FOUND`, `NO_PEERS`, `TIMEOUT`, `CANCELLED`. */
  async fetchChunk(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    this.#assertRunning('fetchChunk');
    return this.#chunks.fetch(digest, options);
  }

  /** Pulls a snapshot or catch-up from `peer`, one page per request. `PEER_UNAVAILABLE`, `TIMEOUT`, `INTERNAL`. */
  async *requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    this.#assertRunning('requestSnapshot');
    if (!this.#presence.has(peer)) throw peerUnavailable(PACKAGE, peer, 'it is not on the NATS medium');
    const streamId = `${this.nodeId}-${this.#instance}-${this.#nextRequestId}`;
    const pages = pullSnapshot(this.#nc!, this.#subjects.snapshot(peer), peer, request, { requestId: this.#nextRequestId++, streamId, timeoutMs: this.#o.snapshotTimeoutMs });
    for await (const page of pages) {
      yield page;
      this.#acks.soon();
    }
  }

  /**
   * The JetStream stream sequence up to which every batch for this node has been handed to the host: where the
   * start's read reached, then (with `followLog`) moving along the live path. A host keeps it with its durable
   * state, once what it was handed is on disk, and passes it as `logCursor` on its next start. Without a log: the
   * `logCursor` option.
   */
  get logCursor(): number {
    return this.#follower?.cursor ?? this.#logRead.cursor;
  }

  /**
   * Batch messages whose bodies this node read from the JetStream log: at start (those of its subject filters
   * after its cursor), and, with `followLog`, those it missed live. Not the live batches, nor the follower's headers.
   */
  get logMessages(): number {
    return this.#logRead.messages + (this.#follower?.fetched ?? 0);
  }

  /** Reads of the log at start: 1, plus one per time the live batches held meanwhile passed `maxHeldMutations`. */
  get logRounds(): number {
    return this.#logRead.rounds;
  }

  /** Bytes of live batches that reached this node's subscriptions (the server filters by interests first). */
  get liveBatchBytes(): number {
    return this.#batches.liveBytes;
  }

  stats(): TransportStats {
    return { ...this.#stats };
  }

  /** Says goodbye on the presence subject, stops every timer and subscription, and drains the connection; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasRunning = this.#state === 'running';
    this.#batches.flush(); // what was published before close() still goes
    this.#state = 'closed';
    this.#stopHeartbeats?.();
    this.#acks.stop();
    this.#snapshotServer.close();
    await this.#follower?.close();
    const nc = this.#nc;
    for (const handle of this.#handles.values()) this.#chunks.failConnection(handle, closedError('the request'));
    this.#handles.clear();
    if (wasRunning) this.#presence.clear('this node closed its transport');
    if (nc === undefined) return;
    if (wasRunning && !nc.isClosed()) this.#hellos.goodbye();
    try {
      await nc.drain();
    } catch {
      await nc.close().catch(() => undefined);
    }
    await nc.closed();
  }

  /** The subjects of the batches this node receives, live and from the log: its interests' subtrees, or all. */
  #batchFilters(): string[] {
    const tokens = interestTokens(this.#interests);
    return tokens === undefined ? [this.#subjects.batchAll] : tokens.map((token) => this.#subjects.batchOf(token));
  }

  #logFollower(stream: string): LogFollower {
    const tokens = interestTokens(this.#interests);
    const context = {
      nodeId: this.nodeId,
      stream,
      batchAll: this.#subjects.batchAll,
      tokens: tokens === undefined ? undefined : new Set(tokens),
      timers: this.#o.timers,
      deliver: (subject: string, data: Uint8Array) => this.#batches.receive(batchSender(subject), data, true),
      report: (error: StatemeshError) => this.#log.once('follow', error),
    };
    return new LogFollower(context, this.#logRead.cursor);
  }

  #tick(): void {
    if (this.#state !== 'running') return;
    this.#hellos.heartbeat();
    this.#presence.check(this.#o.timers.now());
    this.#acks.now();
  }

  /** Follows the connection: after a reconnect this node may have missed batches, and others may have missed ours. */
  async #watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.#state !== 'running') continue;
      if (status.type === 'reconnect') {
        // A new instance in our Hello tells every peer to catch up from us again; forgetting our peers makes us
        // catch up from each of them as its answer comes in.
        this.#epoch++;
        this.#presence.clear('this node reconnected to NATS');
        this.#hellos.announce();
      } else if (status.type === 'slowConsumer') {
        this.#stats.slowPeerDisconnects++;
        this.#log.once('slow', new StatemeshError('BACKPRESSURE', `${PACKAGE}: node ${this.nodeId} is a slow consumer of NATS; messages were dropped (caught up from peers at the next anti-entropy round)`));
      }
    }
  }

  #emit(event: PeerEvent): void {
    if (event.type === 'up') this.#handles.set(event.peer, { node: event.peer });
    else if (event.type === 'down') {
      const handle = this.#handles.get(event.peer);
      this.#handles.delete(event.peer);
      if (handle !== undefined) this.#chunks.failConnection(handle, peerUnavailable(PACKAGE, event.peer, event.reason));
    }
    try {
      this.#host?.onPeerEvent(event);
    } catch (error) {
      this.#log.report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's onPeerEvent threw on ${event.type} of ${event.peer}: ${String(error)}`, { cause: error }));
    }
  }

  #publish(subject: string, payload: Uint8Array, h?: MsgHdrs): void {
    const nc = this.#nc;
    if (nc === undefined || nc.isClosed() || nc.isDraining()) return;
    try {
      nc.publish(subject, payload, h === undefined ? undefined : { headers: h });
      this.#frames.sent(payload);
    } catch (error) {
      this.#log.once(`publish:${subject}`, new StatemeshError('IO_ERROR', `${PACKAGE}: publishing on ${subject} failed: ${String(error)}`, { cause: error }));
    }
  }

  #assertRunning(what: string): void {
    if (this.#state === 'closed') throw closedError(what);
    if (this.#state !== 'running') throw new StatemeshError('NOT_STARTED', `${PACKAGE}: call start(host) before ${what}()`);
  }
}

function closedError(what: string): StatemeshError {
  return new StatemeshError('CLOSED', `${PACKAGE}: the transport is closed; ${what} cannot run. Create a new transport`);
}
