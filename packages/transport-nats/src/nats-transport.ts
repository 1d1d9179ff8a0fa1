// Over 400 lines: this is the one place where the medium's pieces (presence, outbox, log read, chunk and snapshot
// servers, each in its own file) meet the connection's lifecycle; what is left here is their wiring and the
// per-message dispatch, which share the connection state and read best together.
import {
  StatemeshError,
  touchesAnySubtree,
  type FetchChunkOptions,
  type CheckedMutation,
  type Mutation,
  type PeerEvent,
  type PeerInfo,
  type SnapshotPage,
  type SnapshotRequest,
  type Transport,
  type TransportHost,
  type TransportStats,
} from '@statemesh/contracts';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { every, peerUnavailable, type ChunkRequests } from '@statemesh/protocol';
import { encodeEnvelope, type HelloFrame } from '@statemesh/wire';
import { AckPublisher } from './ack-publisher.js';
import { BatchOutbox, type Addressees } from './batch-outbox.js';
import { batchPayloads } from './batch-payloads.js';
import { ChunkServer, chunkRequests, type PeerHandle } from './chunk-parts.js';
import { connectError, connectOptions } from './connect-options.js';
import { FrameCounter } from './frame-counter.js';
import { ErrorLog } from './error-log.js';
import { checkHello, helloOf } from './hello-check.js';
import { PACKAGE, resolveNatsOptions, type NatsTransportOptions, type ResolvedNatsOptions } from './options.js';
import { MAX_PEERS, Presence } from './presence.js';
import { SnapshotServer, pullSnapshot } from './snapshot-pages.js';
import { ensureStream, readLog } from './stream-log.js';
import { HeldBatches } from './held-batches.js';
import { interestTokens, splitBySubtree } from './subject-routing.js';
import { batchSender, lastToken, subjectsOf, type Subjects } from './subjects.js';

/** Header of a Hello that answers another node's Hello (it is not answered again). */
const ANSWER_HEADER = 'Statemesh-Answer';
/** Headers of a live batch meant for some nodes only (the log keeps it for everyone). */
const TO_HEADER = 'Statemesh-To';
const EXCEPT_HEADER = 'Statemesh-Except';
/** Room left in a message for headers. */
const HEADROOM = 1024;
/** Reads of the log at start before a node goes live though its held batches overflowed (see #readLog). */
const MAX_LOG_ROUNDS = 10;


/**
 * A statemesh `Transport` over NATS, a broadcast medium: each batch is published once on the cluster's subject
 * `statemesh.<cluster>.batch.<node>` and reaches every node; presence (Hello, heartbeats, Goodbye) and
 * acknowledgements are subjects too; chunks and snapshot pages are request/reply; a JetStream stream over the
 * batch subjects keeps the log that a starting node reads before it goes live. PROTOCOL.md has the subjects.
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
  /**
   * The batch from the medium the host is handling: what it publishes meanwhile of that batch (its relay) every
   * node of the medium has already, so it is left out. (A mark per batch, not per mutation: a WeakSet entry for
   * every mutation received was a third of a receiver's CPU.)
   */
  #delivering: { readonly mutations: readonly Mutation[]; members: Set<Mutation> | undefined } | undefined;
  /** While the log is read at start, live batches wait here, in order (bounded: past it, the log is read again). */
  #held: HeldBatches | undefined;
  #cursor: number;
  #logRounds = 0;
  #liveBatchBytes = 0;
  readonly #outbox = new BatchOutbox((mutations, addressees) => this.#sendBatch(mutations, addressees));
  #logMessages = 0;
  #stopHeartbeats: (() => void) | undefined;
  readonly #acks: AckPublisher;
  readonly #askedHello = new Map<string, number>();
  readonly #log: ErrorLog;
  #nextRequestId = 1;
  #closing: Promise<void> | undefined;
  readonly #frames: FrameCounter;
  readonly #stats: FrameCounter['stats'];

  /** Validates `options` (`INVALID_ID`, `INVALID_CONFIG`); nothing connects until {@link start}. */
  constructor(options: NatsTransportOptions) {
    this.#o = resolveNatsOptions(options);
    this.nodeId = this.#o.nodeId;
    this.clusterId = this.#o.clusterId;
    this.#subjects = subjectsOf(this.#o.subjectPrefix, this.clusterId);
    this.#cursor = this.#o.logCursor;
    this.#presence = new Presence((event) => this.#emit(event));
    this.#log = new ErrorLog(this.#o.onError);
    this.#frames = new FrameCounter(this.#log);
    this.#stats = this.#frames.stats;
    this.#acks = new AckPublisher({
      timers: this.#o.timers,
      // Each acknowledgement reaches every node: one more delay per 10 peers keeps the cluster's total bounded.
      delayMs: () => this.#o.ackDelayMs * Math.max(1, Math.ceil(this.#presence.nodes().length / 10)),
      vector: () => (this.#state === 'running' ? this.#host?.appliedVector?.() : undefined),
      publish: (payload) => this.#publish(this.#subjects.ack(this.nodeId), payload),
      held: (mark, max) => this.#host?.heldBlobs?.(mark, max) ?? { mark, digests: [] },
    });
    const report = (error: StatemeshError): void => this.#log.report(error);
    this.#chunks = chunkRequests({
      timers: this.#o.timers,
      peers: this.#handles,
      connection: () => this.#nc,
      subject: (node) => this.#subjects.chunk(node),
      nextRequestId: () => this.#nextRequestId++,
      closedError: () => (this.#state === 'running' ? undefined : closedError('fetchChunk')),
    });
    this.#chunkServer = new ChunkServer(() => this.#host!, () => this.#maxPayload, report);
    this.#snapshotServer = new SnapshotServer({ host: () => this.#host!, maxPayload: () => this.#maxPayload, timers: this.#o.timers, idleMs: this.#o.snapshotTimeoutMs, report });
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
    this.#held = this.#o.stream === undefined ? undefined : new HeldBatches(this.#o.maxHeldMutations);
    // Interests become subject filters: the server sends this node only the subtrees it replicates.
    for (const filter of this.#batchFilters()) {
      on(filter, (msg) => {
        this.#liveBatchBytes += msg.data.length;
        if (!this.#addressed(msg)) return;
        this.#onBatch(batchSender(msg.subject), msg.data);
      });
    }
    on(s.presenceAll, (msg) => this.#onPresence(lastToken(msg.subject), msg));
    on(s.hello(this.nodeId), (msg) => this.#onPresence(undefined, msg));
    on(s.ackAll, (msg) => this.#onPresence(lastToken(msg.subject), msg));
    on(s.chunk(this.nodeId), (msg) => void this.#chunkServer.serve(msg));
    on(s.snapshot(this.nodeId), (msg) => void this.#snapshotServer.serve(msg));
    try {
      await nc.flush();
      if (this.#o.stream !== undefined) {
        await ensureStream(nc, this.#o.stream, s.batchAll);
        await this.#readLog(nc);
      }
    } catch (error) {
      this.#state = 'closed';
      await nc.close().catch(() => undefined);
      throw error;
    }
    if (this.#state !== 'starting') throw closedError('start');
    this.#state = 'running';
    this.#release();
    this.#announce();
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
    const { to } = options;
    if (to !== undefined && !this.#presence.has(to)) return 0;
    const fresh = this.#notFromMedium(batch);
    if (fresh.length === 0) return 0;
    this.#outbox.push(fresh, to, options.except);
    const reached = to === undefined ? this.#presence.nodes().filter((node) => node !== options.except).length : 1;
    this.#stats.published += reached * fresh.length;
    return reached;
  }

  /** `batch` less the mutations of the medium's batch being delivered (a relay of it: the whole array, or some). */
  #notFromMedium(batch: readonly Mutation[]): Mutation[] {
    const delivering = this.#delivering;
    if (delivering === undefined) return batch.slice(); // a batch for one peer waits for the turn's end: the caller's array may change
    if (batch === delivering.mutations) return [];
    delivering.members ??= new Set(delivering.mutations);
    const members = delivering.members;
    return batch.filter((m) => !members.has(m));
  }

  /** One batch on this node's subject, split at max_payload. */
  #sendBatch(mutations: Mutation[], addressees: Addressees): void {
    if (this.#state !== 'running' && this.#state !== 'closed') return;
    let h: ReturnType<typeof headers> | undefined;
    if (addressees.kind !== 'all') {
      h = headers();
      if (addressees.kind === 'to') h.set(TO_HEADER, addressees.nodes.join(' '));
      else h.set(EXCEPT_HEADER, addressees.node);
    }
    try {
      for (const part of splitBySubtree(mutations)) {
        const subject = this.#subjects.batch(this.nodeId, part.token);
        for (const payload of batchPayloads(part.mutations, this.#maxPayload - HEADROOM)) this.#publish(subject, payload, h);
      }
    } catch (error) {
      this.#log.report(error instanceof StatemeshError ? error : new StatemeshError('INTERNAL', `${PACKAGE}: publishing a batch failed: ${String(error)}`, { cause: error }));
    }
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
   * The JetStream stream sequence read up to at start (the `logCursor` option without a log): a host keeps it with
   * its durable state, once what it covers is on disk, and passes it as `logCursor` on its next start.
   */
  get logCursor(): number {
    return this.#cursor;
  }

  /** Messages read from the JetStream log at start (those of this node's subject filters only). */
  get logMessages(): number {
    return this.#logMessages;
  }

  /** Reads of the log at start: 1, plus one per time the live batches held meanwhile passed `maxHeldMutations`. */
  get logRounds(): number {
    return this.#logRounds;
  }

  /** Bytes of live batches that reached this node's subscriptions (the server filters by interests first). */
  get liveBatchBytes(): number {
    return this.#liveBatchBytes;
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
    this.#outbox.flush(); // what was published before close() still goes
    this.#state = 'closed';
    this.#stopHeartbeats?.();
    this.#acks.stop();
    this.#snapshotServer.close();
    const nc = this.#nc;
    for (const handle of this.#handles.values()) this.#chunks.failConnection(handle, closedError('the request'));
    this.#handles.clear();
    if (wasRunning) this.#presence.clear('this node closed its transport');
    if (nc === undefined) return;
    if (wasRunning && !nc.isClosed()) this.#publish(this.#subjects.presence(this.nodeId), encodeEnvelope({ kind: 'goodbye', reason: 'node is closing' }));
    try {
      await nc.drain();
    } catch {
      await nc.close().catch(() => undefined);
    }
    await nc.closed();
  }

  /**
   * Reads the log after the cursor; when the live batches held meanwhile passed the limit (and were dropped), reads
   * again from where it reached: the log has them. Gives up holding after {@link MAX_LOG_ROUNDS} reads (the
   * writers outpace the read): the batches dropped then come back through peer catch-up (anti-entropy).
   */
  async #readLog(nc: NatsConnection): Promise<void> {
    const stream = this.#o.stream!;
    const filters = this.#batchFilters();
    const held = this.#held!;
    for (;;) {
      this.#logRounds++;
      const read = await readLog(nc, stream.name, this.#cursor + 1, filters, (subject, data) => this.#onBatch(batchSender(subject), data, true));
      this.#cursor = read.cursor;
      this.#logMessages += read.messages;
      if (!held.overflowed || this.#state !== 'starting') return;
      held.take(); // dropped: they are in the log after the cursor, read next
      if (this.#logRounds >= MAX_LOG_ROUNDS) {
        this.#log.report(new StatemeshError('BACKPRESSURE', `${PACKAGE}: node ${this.nodeId} read the log ${MAX_LOG_ROUNDS} times and the live batches held meanwhile still passed maxHeldMutations (${this.#o.maxHeldMutations}); going live, the rest comes from peer catch-up. Raise maxHeldMutations`));
        return;
      }
    }
  }

  /** The subjects of the batches this node receives, live and from the log: its interests' subtrees, or all. */
  #batchFilters(): string[] {
    const tokens = interestTokens(this.#interests);
    return tokens === undefined ? [this.#subjects.batchAll] : tokens.map((token) => this.#subjects.batchOf(token));
  }

  /** Whether a live batch is for this node: no addressing headers, named in `To`, or not the one in `Except`. */
  #addressed(msg: Msg): boolean {
    const to = msg.headers?.get(TO_HEADER) ?? '';
    if (to !== '' && !to.split(' ').includes(this.nodeId)) return false;
    return msg.headers?.get(EXCEPT_HEADER) !== this.nodeId;
  }

  /** Hands over the live batches held while the log was read. */
  #release(): void {
    const held = this.#held?.take() ?? [];
    this.#held = undefined;
    for (const { from, mutations } of held) this.#deliver(mutations, from);
  }

  #onBatch(from: string, data: Uint8Array, fromLog = false): void {
    if (from === this.nodeId && !fromLog) return;
    const frame = this.#frames.received(data, from);
    if (frame === undefined) return;
    if (frame.kind !== 'mutations' || frame.compressed !== undefined) {
      this.#frames.bad(from, `sent a ${frame.kind} frame on a batch subject`);
      return;
    }
    const mutations = this.#interests.length === 0 ? frame.mutations : frame.mutations.filter((m) => touchesAnySubtree(m.path, this.#interests, m.op === 'delete'));
    if (!fromLog && !this.#presence.seen(from, this.#o.timers.now())) this.#askHello(from);
    if (mutations.length === 0) return;
    if (this.#held !== undefined && !fromLog) this.#held.push(from, mutations);
    else this.#deliver(mutations, from);
  }

  #deliver(mutations: CheckedMutation[], from: string): void {
    this.#stats.delivered += mutations.length;
    const outer = this.#delivering;
    this.#delivering = { mutations, members: undefined };
    try {
      this.#host!.onMutations(mutations, from);
    } catch (error) {
      this.#log.report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's onMutations threw on a batch from ${from}: ${String(error)}`, { cause: error }));
    } finally {
      this.#delivering = outer;
    }
    this.#acks.soon();
  }

  /** A frame on a presence, hello or ack subject; `from` is the subject's node (undefined on our hello subject). */
  #onPresence(from: string | undefined, msg: Msg): void {
    if (from === this.nodeId) return;
    const frame = this.#frames.received(msg.data, from ?? msg.subject);
    if (frame === undefined || this.#state !== 'running') return;
    if ((frame.kind === 'hello' || frame.kind === 'heartbeat') && from !== undefined && frame.node !== from) {
      this.#frames.bad(from, `sent a ${frame.kind} naming node ${frame.node} on its own subject`);
      return;
    }
    const now = this.#o.timers.now();
    switch (frame.kind) {
      case 'hello':
        this.#onHello(frame, msg.headers?.get(ANSWER_HEADER) !== '1');
        return;
      case 'heartbeat':
        if (from !== undefined && !this.#presence.heartbeat(from, frame.sentAtMs, now, this.#o.timers.wallNow?.() ?? Date.now())) this.#askHello(from);
        return;
      case 'ack':
        if (from === undefined) return;
        if (!this.#presence.acknowledged(from, frame.vector, now)) this.#askHello(from);
        else if (frame.held !== undefined) this.#host?.onBlobsHeld?.(frame.held, from);
        return;
      case 'goodbye':
        if (from !== undefined) this.#presence.remove(from, `the peer said goodbye: ${frame.reason}`);
        return;
      default:
        return;
    }
  }

  #onHello(frame: HelloFrame, answer: boolean): void {
    const verdict = checkHello(frame, this);
    if ('error' in verdict) {
      this.#log.once(verdict.key, verdict.error);
      return;
    }
    const version = verdict.version;
    const outcome = this.#presence.hello(frame, version, frame.heartbeatIntervalMs || this.#o.heartbeatIntervalMs, this.#o.timers.now());
    if (outcome === 'full') {
      this.#log.once('full', new StatemeshError('BACKPRESSURE', `${PACKAGE}: node ${this.nodeId} knows ${MAX_PEERS} peers already; ignored the Hello of ${frame.node} (more nodes than one cluster should hold, or a peer inventing ids)`));
      return;
    }
    this.#askedHello.delete(frame.node);
    if (answer || outcome !== 'known') {
      const h = headers();
      h.set(ANSWER_HEADER, '1');
      this.#publish(this.#subjects.hello(frame.node), encodeEnvelope(this.#hello()), h);
    }
  }

  /** A node we have no Hello of spoke: ask it for one (sending ours), at most once per heartbeat interval. */
  #askHello(node: string): void {
    const now = this.#o.timers.now();
    const last = this.#askedHello.get(node);
    if (last !== undefined && now - last < this.#o.heartbeatIntervalMs) return;
    if (this.#askedHello.size > 10_000) this.#askedHello.clear();
    this.#askedHello.set(node, now);
    this.#publish(this.#subjects.hello(node), encodeEnvelope(this.#hello()));
  }

  /** Broadcasts this node's Hello: every node answers with its own. */
  #announce(): void {
    this.#publish(this.#subjects.presence(this.nodeId), encodeEnvelope(this.#hello()));
  }

  #hello(): HelloFrame {
    return helloOf(this.#host!, { nodeId: this.nodeId, clusterId: this.clusterId, heartbeatIntervalMs: this.#o.heartbeatIntervalMs, instance: `${this.#instance}-${this.#epoch}` });
  }

  #tick(): void {
    if (this.#state !== 'running') return;
    this.#publish(this.#subjects.presence(this.nodeId), encodeEnvelope({ kind: 'heartbeat', node: this.nodeId, sentAtMs: this.#o.timers.wallNow?.() ?? Date.now() }));
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
        this.#announce();
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

  #publish(subject: string, payload: Uint8Array, h?: ReturnType<typeof headers>): void {
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
