// Over ~400 lines: the engine's dispatch — every frame kind and link event routed to the piece that owns it
// (conversation, registry, requests, acks, faults); the pieces themselves are in their own files.
import {
  StatemeshError,
  isStatemeshError,
  type FetchChunkOptions,
  type Link,
  type LinkFrame,
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
import { type Frame, type HelloFrame, type UnknownFrame } from '@statemesh/wire';
import { AckSchedule } from './ack-schedule.js';
import { announcedBy } from './announced-links.js';
import { Backoff } from './backoff.js';
import { fanOut, type FanOutContext } from './batch-fanout.js';
import { ChunkRequests } from './chunk-requests.js';
import { ClockSkew } from './clock-skew.js';
import { Conversation, type ConversationEvents, type ConversationOrigin } from './conversation.js';
import { checkHello, helloFrame } from './hello-check.js';
import { LinkFaults } from './link-faults.js';
import { heartbeatTick } from './heartbeat-tick.js';
import { Liveness } from './liveness.js';
import { MAX_HELLO_BYTES, PACKAGE, resolveOptions, type ProtocolTransportOptions, type ResolvedOptions } from './options.js';
import { PeerRegistry } from './peer-registry.js';
import { peerUnavailable } from './peer-unavailable.js';
import { every } from './real-timers.js';
import { RequestServer } from './request-server.js';
import { RefusalLog } from './refusal-log.js';
import { SeedDialer } from './seed-dialer.js';
import { SnapshotStreams } from './snapshot-streams.js';
import { emptyStats } from './stats.js';

/** Dial failures that only say the seed is not reachable (yet): redialled without a report. */
const UNREACHABLE = new Set<string>(['IO_ERROR', 'PEER_UNAVAILABLE', 'TIMEOUT', 'CANCELLED']);
/** How long a closing link may take to flush its Goodbye before it is cut. */
const END_GRACE_MS = 1_000;

/**
 * The statemesh replication protocol over any set of links: the Hello and version negotiation, dispatch,
 * heartbeats and liveness, chunk and snapshot requests and their serving with back-pressure, slow-peer drop,
 * frame splitting, acknowledgements, and one registry of peers across every listener and dialer (a node
 * reachable over two links is one peer). Transport packages only provide the links.
 */
export class ProtocolTransport implements Transport {
  /** This node's id. */
  readonly nodeId: string;
  /** The cluster this node belongs to. */
  readonly clusterId: string;
  readonly #options: ResolvedOptions;
  /** Random per instance: a peer that sees another one from this node id knows it restarted. */
  readonly #instance: string;
  #host: TransportHost | undefined;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  readonly #conversations = new Set<Conversation>();
  readonly #registry: PeerRegistry;
  readonly #dialers: SeedDialer[] = [];
  readonly #started: Array<{ close(): Promise<void> }> = [];
  readonly #chunks: ChunkRequests<Conversation>;
  readonly #snapshots: SnapshotStreams<Conversation>;
  readonly #server: RequestServer;
  readonly #acks: AckSchedule;
  readonly #stats = emptyStats();
  /** The body each received batch came in, so that relaying exactly that batch forwards the bytes as they are. */
  readonly #received = new WeakMap<readonly Mutation[], LinkFrame>();
  readonly #skew: ClockSkew;
  readonly #refusals: RefusalLog;
  readonly #faults: LinkFaults;
  readonly #fanOut: FanOutContext;
  #stopHeartbeats: (() => void) | undefined;
  #nextRequestId = 1;
  #closing: Promise<void> | undefined;
  readonly #events: ConversationEvents = {
    frame: (conversation, frame, raw) => this.#onFrame(conversation, frame, raw),
    badInput: (conversation, error) => this.#faults.badInput(conversation, error),
    closed: (conversation, reason, error) => this.#onClosed(conversation, reason, error),
  };

  /** Validates `options` (throws `INVALID_ID` / `INVALID_CONFIG`); nothing is opened until {@link start}. */
  constructor(options: ProtocolTransportOptions) {
    this.#options = resolveOptions(options);
    this.nodeId = this.#options.nodeId;
    this.clusterId = this.#options.clusterId;
    const { timers, random } = this.#options;
    this.#instance = Array.from({ length: 4 }, () => Math.floor(random() * 0x1_0000_0000).toString(36)).join('');
    this.#registry = new PeerRegistry(this.nodeId, (event) => this.#emit(event));
    const nextRequestId = (): number => this.#nextRequestId++;
    const send = (conversation: Conversation, frame: Frame): boolean => {
      conversation.send(frame);
      return !conversation.isClosed;
    };
    const peers = this.#registry.active;
    this.#chunks = new ChunkRequests({
      source: PACKAGE,
      timers,
      peers,
      nextRequestId,
      send,
      closedError: () => (this.#state === 'running' ? undefined : closedError('fetchChunk')),
      maxPerPeer: this.#options.maxChunkRequestsPerPeer,
    });
    this.#snapshots = new SnapshotStreams({ source: PACKAGE, timers, peers, pageTimeoutMs: this.#options.snapshotTimeoutMs, nextRequestId, send });
    this.#server = new RequestServer({ options: this.#options, host: () => this.#host!, running: () => this.#state === 'running', report: (error) => this.#report(error) });
    this.#faults = new LinkFaults(this.#stats, (error) => this.#report(error), this.#options.highWaterMarkBytes);
    this.#fanOut = { maxFrameBytes: this.#options.maxFrameBytes, highWaterMarkBytes: this.#options.highWaterMarkBytes, dropSlowPeer: (c) => this.#faults.dropSlowPeer(c) };
    this.#skew = new ClockSkew(timers, (error) => this.#report(error));
    this.#refusals = new RefusalLog((error) => this.#report(error));
    this.#acks = new AckSchedule(timers, () => this.#host?.appliedVector?.(), () => this.#registry.active.values(), this.#options.ackDelayMs, () => this.#host?.heldBlobs?.bind(this.#host));
  }

  /** Starts the listeners (resolves once all listen), the heartbeats and the seed dialers. */
  async start(host: TransportHost): Promise<void> {
    if (this.#state === 'closed') throw closedError('start');
    if (this.#state !== 'new') throw new StatemeshError('INVALID_ARGUMENT', `${PACKAGE}: start() was already called on node ${this.nodeId}`);
    this.#state = 'starting';
    this.#host = host;
    try {
      for (const listener of this.#options.listeners) {
        const origin: ConversationOrigin = { listener: { pending: 0 } };
        await listener.start((link) => this.#adopt(link, origin));
        this.#started.push(listener);
        if (this.#state !== 'starting') throw closedError('start');
      }
    } catch (error) {
      this.#state = 'closed';
      await Promise.all(this.#started.map((listener) => listener.close()));
      throw error;
    }
    this.#state = 'running';
    this.#stopHeartbeats = every(this.#options.timers, this.#options.heartbeatIntervalMs, () => this.#tick());
    const { initialMs, maxMs } = this.#options.reconnect;
    for (const dialer of this.#options.dialers) {
      const seed = new SeedDialer(
        dialer,
        { backoff: new Backoff({ initialMs, maxMs, random: this.#options.random }), timers: this.#options.timers },
        (link, from) => this.#adopt(link, { dialer: from }),
        (error, from, repeated) => {
          if (isStatemeshError(error, 'UNAUTHENTICATED')) this.#stats.authFailures++;
          // An unreachable seed is normal while it starts (the host says so after its join timeout); any other
          // failure (a refused token, a TLS mismatch) is said once per distinct reason. Redialled with backoff.
          if (!repeated && !UNREACHABLE.has(isStatemeshError(error) ? error.code : '')) this.#report(new StatemeshError(isStatemeshError(error) ? error.code : 'IO_ERROR', `${PACKAGE}: dialling ${from.address} failed, retrying: ${error.message}`, { cause: error }));
        },
      );
      this.#dialers.push(seed);
      seed.dial();
    }
  }

  /** Queues `batch` to every up peer (or `to` only), except `except`; returns how many peers it was queued to. */
  publish(batch: readonly Mutation[], options: { readonly to?: string; readonly except?: string } = {}): number {
    if (this.#state !== 'running' || batch.length === 0) return 0;
    const all = options.to === undefined ? [...this.#registry.active.values()] : [this.#registry.active.get(options.to)];
    const targets = all.filter((c): c is Conversation => c !== undefined && c.peer !== options.except);
    const count = fanOut(batch, targets, this.#received.get(batch), this.#fanOut);
    this.#stats.published += count * batch.length;
    return count;
  }

  /** Bytes queued to `peer` (or, without one, to the most backlogged peer) and not yet taken by the other side. */
  backlogBytes(peer?: string): number {
    if (peer !== undefined) return this.#registry.active.get(peer)?.bufferedBytes ?? 0;
    let most = 0;
    for (const conversation of this.#registry.active.values()) most = Math.max(most, conversation.bufferedBytes);
    return most;
  }

  /** Resolves once every peer's backlog is at or below `bytes` (default: half the high-water mark). */
  async whenBacklogBelow(bytes = this.#options.highWaterMarkBytes / 2): Promise<void> {
    await Promise.all([...this.#registry.active.values()].map((conversation) => conversation.below(bytes)));
  }

  /** Up (and suspect) peers with their liveness, negotiated version, acknowledged vector and clock skew. */
  peers(): PeerInfo[] {
    return this.#registry.describe(this.#options.timers.now());
  }

  /** Links open right now, including those still in their Hello and duplicates being wound down. */
  openLinks(): number {
    return this.#conversations.size;
  }

  /** Fetches a blob by digest: from `options.peer`, or every up peer in turn. `CHUNK_NOT_FOUND`, `NO_PEERS`, `TIMEOUT`, `CANCELLED`. */
  async fetchChunk(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    this.#assertRunning('fetchChunk');
    return this.#chunks.fetch(digest, options);
  }

  /** Asks `peer` for a snapshot or catch-up and yields its pages in order; throws `PEER_UNAVAILABLE` or `TIMEOUT`. */
  async *requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    this.#assertRunning('requestSnapshot');
    for await (const page of this.#snapshots.request(peer, request)) {
      yield page;
      // The host applied the page: its vector may have moved, which the peer hears of by an Ack.
      this.#acks.soon();
    }
  }

  /** Counters since construction. */
  stats(): TransportStats {
    // Listeners count the connections they refused before a link existed (a bad token): one count for the node.
    const refused = this.#options.listeners.reduce((sum, listener) => sum + (listener.authFailures ?? 0), 0);
    return { ...this.#stats, authFailures: this.#stats.authFailures + refused };
  }

  /** Says goodbye to every peer, ends every link, stops the listeners, dialers and timers; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasRunning = this.#state === 'running';
    this.#state = 'closed';
    this.#stopHeartbeats?.();
    this.#acks.stop();
    for (const dialer of this.#dialers) dialer.stop();
    const listeners = Promise.all(this.#started.map((listener) => listener.close()));
    const conversations = [...this.#conversations];
    for (const conversation of conversations) {
      this.#failRequests(conversation, closedError('the request'));
      conversation.end('node is closing', END_GRACE_MS);
    }
    if (wasRunning) this.#registry.clear('this node closed its transport');
    await Promise.all(conversations.map((conversation) => conversation.closed));
    await listeners;
  }

  /** Takes over a new link: sends our Hello at once (at our lowest version) and waits for the peer's. */
  #adopt(link: Link, origin: ConversationOrigin): void {
    if (this.#state !== 'running' && this.#state !== 'starting') {
      link.destroy('the node is closing');
      return;
    }
    const pending = origin.listener;
    if (pending !== undefined) {
      if ((pending.pending + 1) * MAX_HELLO_BYTES > this.#options.maxHelloPendingBytes) {
        this.#report(
          new StatemeshError('BACKPRESSURE', `${PACKAGE}: refused a link from ${link.remoteAddress}: too many links without a Hello (${pending.pending}); raise maxHelloPendingBytes if that many clients connect at once`),
        );
        link.destroy('too many links without a Hello', 'BACKPRESSURE');
        return;
      }
      pending.pending++;
    }
    const conversation = new Conversation(link, origin, { timers: this.#options.timers, stats: this.#stats }, this.#events);
    conversation.countedPending = pending !== undefined;
    this.#conversations.add(conversation);
    link.maxFrameBytes = Math.min(MAX_HELLO_BYTES, this.#options.maxFrameBytes);
    let hello: HelloFrame;
    try {
      hello = helloFrame(this.#host!.hello(), { nodeId: this.nodeId, clusterId: this.clusterId, instance: this.#instance, options: this.#options });
    } catch (error) {
      this.#report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's hello() threw; closed the link to ${link.remoteAddress}: ${String(error)}`, { cause: error }));
      conversation.open();
      conversation.destroy('the host could not say hello', 'INTERNAL');
      return;
    }
    conversation.ackSent = hello.vector;
    // The Hello goes at our lowest version, which any peer that can talk to us at all can read.
    conversation.send(hello, this.#options.protocolVersions.min);
    const timeoutMs = this.#options.handshakeTimeoutMs;
    conversation.awaitHello(timeoutMs, () => this.#report(new StatemeshError('TIMEOUT', `${PACKAGE}: ${link.remoteAddress} sent no Hello within ${timeoutMs} ms; closed the link`)));
    conversation.open();
  }

  #onFrame(conversation: Conversation, frame: Frame | UnknownFrame, raw: LinkFrame): void {
    if (frame.kind === 'unknown') {
      this.#stats.unknownFrames++;
      return;
    }
    if (conversation.state === 'handshake') {
      if (frame.kind === 'hello') this.#onHello(conversation, frame);
      else if (frame.kind === 'goodbye') conversation.heardGoodbye(frame);
      else this.#faults.protocolError(conversation, `sent a ${frame.kind} frame before its Hello`);
      return;
    }
    if (conversation.isClosed) return;
    if (raw.version !== conversation.version) {
      this.#faults.protocolError(conversation, `sent a ${frame.kind} frame at protocol version ${raw.version}, not the negotiated ${conversation.version}`);
      return;
    }
    switch (frame.kind) {
      case 'mutations':
        if (frame.compressed !== undefined) this.#faults.protocolError(conversation, 'sent a compressed batch, which this version never negotiates');
        else this.#deliver(frame.mutations, conversation.peer!, raw);
        return;
      case 'heartbeat':
        this.#skew.observe(conversation, frame.sentAtMs);
        conversation.announced = announcedBy(frame);
        return;
      case 'ack':
        conversation.acknowledged = frame.vector;
        if (frame.held !== undefined) this.#host?.onBlobsHeld?.(frame.held, conversation.peer!);
        return;
      case 'chunk-request':
        this.#server.serveChunk(conversation, frame.requestId, frame.digest);
        return;
      case 'chunk-response':
        this.#chunks.answer(conversation, frame);
        return;
      case 'snapshot-request':
        void this.#server.serveSnapshot(conversation, frame);
        return;
      case 'snapshot-page':
        this.#snapshots.page(conversation, frame);
        return;
      case 'goodbye':
        conversation.heardGoodbye(frame);
        return;
      case 'hello':
        this.#faults.protocolError(conversation, 'sent a second Hello');
        return;
    }
  }

  #onHello(conversation: Conversation, frame: HelloFrame): void {
    const result = checkHello(frame, conversation, { nodeId: this.nodeId, clusterId: this.clusterId, instance: this.#instance, versions: this.#options.protocolVersions });
    if (result.error !== undefined) {
      if (result.error.code === 'UNAUTHENTICATED') this.#stats.authFailures++;
      if (result.selfDial) conversation.origin.dialer?.stop();
      this.#refusals.refused(result.error, frame.node);
      conversation.end(result.error.message, END_GRACE_MS, result.error.code);
      return;
    }
    conversation.leaveHandshake();
    const timers = this.#options.timers;
    conversation.peer = frame.node;
    conversation.version = result.version;
    conversation.instance = frame.instance ?? '';
    conversation.hello = { vector: frame.vector, interests: frame.interests, capabilities: frame.capabilities };
    conversation.acknowledged = frame.vector;
    conversation.liveness = new Liveness(frame.heartbeatIntervalMs ?? this.#options.heartbeatIntervalMs, timers.now());
    conversation.link.maxFrameBytes = this.#options.maxFrameBytes;
    const dialer = conversation.origin.dialer;
    if (dialer !== undefined) {
      dialer.node = frame.node;
      dialer.succeeded();
    }
    const admission = this.#registry.admit(conversation);
    if (admission.kind === 'duplicate') conversation.end('duplicate link: keeping the other one', END_GRACE_MS);
    else if (admission.kind === 'active') for (const old of admission.ended) old.end('replaced by a newer link', END_GRACE_MS);
  }

  #deliver(mutations: readonly CheckedMutation[], from: string, raw: LinkFrame): void {
    if (mutations.length === 0) return;
    this.#stats.delivered += mutations.length;
    this.#received.set(mutations, raw);
    try {
      this.#host!.onMutations(mutations, from);
    } catch (error) {
      this.#report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's onMutations threw on a batch from ${from}: ${String(error)}`, { cause: error }));
    }
    this.#acks.soon();
  }

  #tick(): void {
    heartbeatTick(this.#conversations, this.#registry.active, { nodeId: this.nodeId, timers: this.#options.timers }, (event) => this.#emit(event));
    this.#acks.now();
  }

  #onClosed(conversation: Conversation, reason: string, error: StatemeshError | undefined): void {
    this.#conversations.delete(conversation);
    if (conversation.peer === undefined) conversation.leaveHandshake();
    if (error !== undefined) this.#faults.linkRefused(conversation, error);
    this.#failRequests(conversation, peerUnavailable(PACKAGE, conversation.peer ?? conversation.address, reason));
    const peer = conversation.peer;
    const wentDown = this.#registry.remove(conversation, conversation.downReason(reason));
    if (this.#state !== 'running') return;
    if (wentDown) for (const dialer of this.#dialers) if (dialer.node === peer) dialer.wake();
    // Parked while the node is still up through another link; redialled when that one goes down.
    conversation.origin.dialer?.closed(peer !== undefined && this.#registry.has(peer));
  }

  #failRequests(conversation: Conversation, error: Error): void {
    this.#chunks.failConnection(conversation, error);
    this.#snapshots.failConnection(conversation, error);
  }

  #emit(event: PeerEvent): void {
    try {
      this.#host?.onPeerEvent(event);
    } catch (error) {
      this.#report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's onPeerEvent threw on ${event.type} of ${event.peer}: ${String(error)}`, { cause: error }));
    }
  }

  #report(error: StatemeshError): void {
    try {
      this.#options.onError(error);
    } catch {
      // A throwing error callback must not take the engine down with it.
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
