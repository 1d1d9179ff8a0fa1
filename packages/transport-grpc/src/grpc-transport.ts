import { Client, Server, status as Status, type ChannelCredentials, type ServerDuplexStream, type StatusObject } from '@grpc/grpc-js';
import {
  StatemeshError,
  isStatemeshError,
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
import {
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  decompressMutations,
  encodeEnvelope,
  negotiateVersion,
  type Frame,
  type HelloFrame,
  type MutationsFrame,
  type SnapshotPageFrame,
  type SnapshotRequestFrame,
  type UnknownFrame,
} from '@statemesh/wire';
import { Backoff, ChunkRequests, DEAD_AFTER_INTERVALS, Liveness, SnapshotStreams, describePeers, peerUnavailable, realTimers } from '@statemesh/protocol';
import { formatHostPort, type HostPort } from './address.js';
import { resolveOptions, type GrpcTransportOptions, type ResolvedOptions } from './options.js';
import { PeerStream, type StreamEvents } from './peer-stream.js';
import { CHANNEL_PATH, deserializeEnvelope, replicationService, serializeEnvelope, type Incoming, type Outgoing } from './replication-service.js';
import { authFailure, channelCredentials, grpcOptions, outboundMetadata, serverCredentials } from './legacy-security.js';
import { SeedDialer } from './seed-dialer.js';

const PACKAGE = '@statemesh/transport-grpc';
/** How long a closing stream may take to flush its goodbye before it is cut. */
const END_GRACE_MS = 1_000;
/** How long close() waits for the server's streams to end before it forces the server down. */
const SHUTDOWN_GRACE_MS = 1_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A statemesh {@link Transport} across machines over gRPC: one bidirectional `statemesh.v1.Replication/Channel`
 * stream per peer, TLS or mutual TLS, bearer tokens, Hello exchange with version negotiation, seeds redialled with
 * backoff and jitter, heartbeats and HTTP/2 keepalive, back-pressure with a high-water mark, chunk fetch and paged
 * snapshots.
 */
export class GrpcTransport implements Transport {
  /** This node's id. */
  readonly nodeId: string;
  /** The cluster this node belongs to. */
  readonly clusterId: string;
  readonly #options: ResolvedOptions;
  #host: TransportHost | undefined;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #server: Server | undefined;
  #listening: HostPort | undefined;
  #channelCredentials: ChannelCredentials | undefined;
  readonly #streams = new Set<PeerStream>();
  /** The active stream of every peer whose Hello we accepted. */
  readonly #peers = new Map<string, PeerStream>();
  readonly #dialers: SeedDialer[] = [];
  readonly #dialerOf = new WeakMap<PeerStream, SeedDialer>();
  readonly #lastDialError = new WeakMap<SeedDialer, string>();
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #nextRequestId = 1;
  readonly #chunks: ChunkRequests<PeerStream>;
  readonly #snapshots: SnapshotStreams<PeerStream>;
  #closing: Promise<void> | undefined;
  readonly #stats: Mutable<TransportStats> = {
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
  readonly #events: StreamEvents = {
    frame: (stream, frame, bytes) => this.#onFrame(stream, frame, bytes),
    badInput: (stream, error, bytes) => {
      this.#stats.bytesReceived += bytes;
      this.#onBadInput(stream, error);
    },
    closed: (stream, reason, status) => this.#onClosed(stream, reason, status),
  };

  /** Validates `options` (throws `INVALID_ID` / `INVALID_CONFIG`); nothing is opened until {@link start}. */
  constructor(options: GrpcTransportOptions) {
    this.#options = resolveOptions(options);
    this.nodeId = this.#options.nodeId;
    this.clusterId = this.#options.clusterId;
    const nextRequestId = (): number => this.#nextRequestId++;
    const send = (stream: PeerStream, frame: Frame): boolean => this.#send(stream, frame);
    this.#chunks = new ChunkRequests({
      source: PACKAGE,
      timers: realTimers,
      peers: this.#peers,
      nextRequestId,
      send,
      closedError: () => (this.#state === 'running' ? undefined : closedError('fetchChunk')),
    });
    this.#snapshots = new SnapshotStreams({ source: PACKAGE, timers: realTimers, peers: this.#peers, pageTimeoutMs: this.#options.snapshotTimeoutMs, nextRequestId, send });
  }

  /** The `host:port` this node serves on, with the real port when port 0 was asked for; undefined when not listening. */
  address(): string | undefined {
    return this.#listening === undefined ? undefined : formatHostPort(this.#listening);
  }

  /** Streams open right now, including those still exchanging Hello or being wound down as duplicates. */
  openConnections(): number {
    return this.#streams.size;
  }

  /**
   * Serves (where `listen` is set), starts heartbeats and dials the seeds; resolves once serving. Throws
   * `TLS_REQUIRED` under `requireTls` without TLS, `IO_ERROR` when the address cannot be bound.
   */
  async start(host: TransportHost): Promise<void> {
    if (this.#state === 'closed') throw closedError('start');
    if (this.#state !== 'new') throw new StatemeshError('INVALID_ARGUMENT', `${PACKAGE}: start() was already called on node ${this.nodeId}`);
    const serving = this.#options.listen === undefined ? undefined : serverCredentials(this.#options);
    if (this.#options.seeds.length > 0 || this.#options.requireTls) this.#channelCredentials = channelCredentials(this.#options);
    this.#state = 'starting';
    this.#host = host;
    if (this.#options.listen !== undefined && serving !== undefined) {
      try {
        await this.#listen(this.#options.listen, serving);
      } catch (error) {
        this.#state = 'closed';
        throw error;
      }
      if (this.#state !== 'starting') {
        this.#server?.forceShutdown();
        throw closedError('start');
      }
    }
    this.#state = 'running';
    this.#heartbeatTimer = setInterval(() => this.#tick(), this.#options.heartbeatIntervalMs);
    this.#heartbeatTimer.unref();
    const { initialMs, maxMs } = this.#options.reconnect;
    for (const seed of this.#options.seeds) {
      const dialer = new SeedDialer(seed, new Backoff({ initialMs, maxMs }), (d) => this.#dial(d));
      this.#dialers.push(dialer);
      dialer.dial();
    }
  }

  /** Queues `batch` to every up peer (or `to` only), except `except`; returns how many peers it was queued to. */
  publish(batch: readonly Mutation[], options: { readonly to?: string; readonly except?: string } = {}): number {
    if (this.#state !== 'running' || batch.length === 0) return 0;
    let messages: Uint8Array[] | undefined;
    let count = 0;
    const targets = options.to === undefined ? this.#peers.values() : [this.#peers.get(options.to)];
    for (const stream of targets) {
      if (stream === undefined || stream.peer === options.except || stream.state !== 'active') continue;
      messages ??= this.#encodeMutations(batch);
      let ok = true;
      for (const bytes of messages) {
        if (!this.#sendBytes(stream, bytes, true)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      count++;
      this.#stats.published += batch.length;
    }
    return count;
  }

  /** Bytes queued to `peer` (or, without one, to the most backlogged peer) and not yet written out. */
  backlogBytes(peer?: string): number {
    if (peer !== undefined) return this.#peers.get(peer)?.writer.queuedBytes ?? 0;
    let most = 0;
    for (const stream of this.#peers.values()) most = Math.max(most, stream.writer.queuedBytes);
    return most;
  }

  /**
   * Resolves once every peer's backlog is at or below `bytes` (default: half the high-water mark). A producer
   * that awaits this between batches runs at the pace of its slowest peer instead of having it disconnected.
   */
  async whenBacklogBelow(bytes = this.#options.highWaterMarkBytes / 2): Promise<void> {
    await Promise.all([...this.#peers.values()].map((stream) => stream.writer.below(bytes)));
  }

  /** Connected peers: `up` or `suspect`, with the time since they were last heard from. */
  peers(): PeerInfo[] {
    return describePeers(this.#peers, Date.now());
  }

  /**
   * Fetches a blob by digest: asks `options.peer`, or every up peer in turn until one has it. Rejects with
   * `CHUNK_NOT_FOUND` (nobody has it), `NO_PEERS`, `TIMEOUT` (default 10 s) or `CANCELLED` (signal).
   */
  async fetchChunk(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    this.#assertRunning('fetchChunk');
    return this.#chunks.fetch(digest, options);
  }

  /** Asks `peer` for a snapshot or catch-up and yields its pages in order; throws `PEER_UNAVAILABLE` or `TIMEOUT`. */
  async *requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    this.#assertRunning('requestSnapshot');
    yield* this.#snapshots.request(peer, request);
  }

  /** Counters since construction. */
  stats(): TransportStats {
    return { ...this.#stats };
  }

  /** Says goodbye to every peer, ends every stream, the server, every channel and timer; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasRunning = this.#state === 'running';
    this.#state = 'closed';
    if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    for (const dialer of this.#dialers) dialer.stop();
    const peers = [...this.#peers.keys()];
    this.#peers.clear();
    const goodbye = encodeEnvelope({ kind: 'goodbye', reason: 'node is closing' });
    const allClosed = [...this.#streams].map(
      (stream) =>
        new Promise<void>((resolve) => {
          stream.whenClosed(resolve);
          this.#failRequests(stream, closedError('the request'));
          stream.end('node is closing', goodbye, END_GRACE_MS);
        }),
    );
    if (wasRunning) for (const peer of peers) this.#emit({ type: 'down', peer, reason: 'this node closed its transport' });
    await Promise.all(allClosed);
    await this.#shutdownServer();
  }

  async #listen(address: HostPort, credentials: ReturnType<typeof serverCredentials>): Promise<void> {
    const server = new Server(grpcOptions(this.#options, 'server'));
    server.addService(replicationService, {
      Channel: (call: ServerDuplexStream<Incoming, Outgoing>) => this.#accept(call),
    });
    this.#server = server;
    const text = formatHostPort(address);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(text, credentials, (error, bound) => {
        if (error === null) {
          resolve(bound);
          return;
        }
        this.#server = undefined;
        server.forceShutdown();
        reject(new StatemeshError('IO_ERROR', `${PACKAGE}: cannot listen on ${text} (${error.message}); choose another address`, { cause: error, details: { address: text } }));
      });
    });
    this.#listening = { host: address.host, port };
  }

  async #shutdownServer(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      // Streams are ended by now; what remains are idle HTTP/2 sessions of the peers' channels.
      const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** A peer's call arrived at our server: authenticate it, then adopt it. */
  #accept(call: ServerDuplexStream<Incoming, Outgoing>): void {
    if (this.#state !== 'running' && this.#state !== 'starting') {
      call.emit('error', { code: Status.UNAVAILABLE, details: `node ${this.nodeId} is closing` });
      return;
    }
    const peerAddress = call.getPeer();
    const failure = authFailure(this.#options, call.metadata);
    if (failure !== undefined) {
      this.#stats.authFailures++;
      this.#report(
        new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: refused a stream from ${peerAddress}: ${failure}; the peer must send auth.outboundToken equal to this node's auth.expectedToken`, {
          details: { address: peerAddress },
        }),
      );
      call.on('error', () => {});
      call.emit('error', { code: Status.UNAUTHENTICATED, details: `${PACKAGE}: ${failure}` });
      return;
    }
    this.#adopt(new PeerStream(call, { dialed: false, address: peerAddress, highWaterMarkBytes: this.#options.highWaterMarkBytes, maxMessageBytes: this.#options.maxMessageBytes }, this.#events), undefined);
  }

  /** Opens a stream to a seed over a fresh channel (one TCP connection), carrying our token. */
  #dial(dialer: SeedDialer): void {
    const client = new Client(dialer.text, this.#channelCredentials!, grpcOptions(this.#options, 'client'));
    const call = client.makeBidiStreamRequest<Outgoing, Incoming>(CHANNEL_PATH, serializeEnvelope, deserializeEnvelope, outboundMetadata(this.#options));
    const stream = new PeerStream(call, { dialed: true, address: dialer.text, highWaterMarkBytes: this.#options.highWaterMarkBytes, maxMessageBytes: this.#options.maxMessageBytes, client }, this.#events);
    this.#adopt(stream, dialer);
  }

  /** Takes over a stream: sends our Hello at once and waits for the peer's. */
  #adopt(stream: PeerStream, dialer: SeedDialer | undefined): void {
    if (dialer !== undefined) this.#dialerOf.set(stream, dialer);
    this.#streams.add(stream);
    const info = this.#host!.hello();
    const hello: HelloFrame = {
      kind: 'hello',
      node: this.nodeId,
      cluster: this.clusterId,
      minVersion: MIN_PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      vector: { ...info.vector },
      interests: [...(info.interests ?? [])],
      capabilities: [...(info.capabilities ?? [])],
    };
    this.#send(stream, hello);
  }

  #onFrame(stream: PeerStream, frame: Frame | UnknownFrame, bytes: number): void {
    this.#stats.framesReceived++;
    this.#stats.bytesReceived += bytes;
    if (frame.kind === 'unknown') {
      this.#stats.unknownFrames++;
      return;
    }
    if (stream.state === 'handshake') {
      if (frame.kind === 'hello') this.#onHello(stream, frame);
      else if (frame.kind === 'goodbye') stream.peerGoodbye = frame.reason;
      else this.#protocolError(stream, `sent a ${frame.kind} frame before its Hello`);
      return;
    }
    if (stream.state === 'closed') return;
    switch (frame.kind) {
      case 'mutations':
        this.#onMutations(stream, frame);
        return;
      case 'heartbeat':
        return; // Receiving it already stamped the peer's liveness.
      case 'chunk-request':
        void this.#serveChunk(stream, frame.requestId, frame.digest);
        return;
      case 'chunk-response':
        this.#chunks.answer(stream, frame);
        return;
      case 'snapshot-request':
        void this.#serveSnapshot(stream, frame);
        return;
      case 'snapshot-page':
        this.#snapshots.page(stream, frame);
        return;
      case 'goodbye':
        stream.peerGoodbye = frame.reason;
        return;
      case 'hello':
        this.#protocolError(stream, 'sent a second Hello');
        return;
    }
  }

  #onHello(stream: PeerStream, frame: HelloFrame): void {
    const peer = frame.node;
    if (frame.cluster !== this.clusterId) {
      this.#refuse(
        stream,
        new StatemeshError(
          'CLUSTER_MISMATCH',
          `${PACKAGE}: node ${peer} at ${stream.address} belongs to cluster ${frame.cluster}, this node ${this.nodeId} to ${this.clusterId}; fix the seeds or the cluster ids`,
          { details: { peer, theirs: frame.cluster, ours: this.clusterId } },
        ),
      );
      return;
    }
    let version: number;
    try {
      version = negotiateVersion({ minVersion: MIN_PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION }, frame);
    } catch (error) {
      this.#refuse(stream, error as StatemeshError);
      return;
    }
    const dialer = this.#dialerOf.get(stream);
    if (peer === this.nodeId) {
      dialer?.stop();
      this.#refuse(
        stream,
        new StatemeshError('INVALID_CONFIG', `${PACKAGE}: node ${this.nodeId} dialled ${stream.address}, which is itself; remove it from the seeds`, {
          details: { address: stream.address },
        }),
      );
      return;
    }
    stream.peer = peer;
    stream.version = version;
    stream.hello = { vector: frame.vector, interests: frame.interests, capabilities: frame.capabilities };
    stream.liveness = new Liveness(this.#options.heartbeatIntervalMs, Date.now());
    if (dialer !== undefined) {
      dialer.node = peer;
      dialer.succeeded();
      this.#lastDialError.delete(dialer);
    }
    const current = this.#peers.get(peer);
    if (current === undefined) {
      stream.state = 'active';
      this.#peers.set(peer, stream);
      this.#emit({ type: 'up', peer, hello: stream.hello });
      return;
    }
    // Two streams to one node (both dialled each other, or it restarted before we noticed). Both sides pick the
    // same one: the stream dialled by the smaller node id; between two dialled by the same side, the newer.
    const dialerNode = (s: PeerStream): string => (s.dialed ? this.nodeId : peer);
    const keepNew = dialerNode(current) === dialerNode(stream) || dialerNode(stream) < dialerNode(current);
    const goodbye = (reason: string): Uint8Array => encodeEnvelope({ kind: 'goodbye', reason });
    const duplicate = 'duplicate stream: keeping the one dialled by the smaller node id';
    if (!keepNew) {
      stream.state = 'standby';
      stream.end(duplicate, goodbye(duplicate), END_GRACE_MS);
      return;
    }
    stream.state = 'active';
    this.#peers.set(peer, stream);
    current.state = 'standby';
    if (current.dialed === stream.dialed) {
      // The same side dialled again: the peer restarted. Report it, so that its catch-up is asked for again.
      const replaced = 'replaced by a newer stream (the peer restarted)';
      current.end(replaced, goodbye(replaced), END_GRACE_MS);
      this.#emit({ type: 'down', peer, reason: replaced });
      this.#emit({ type: 'up', peer, hello: stream.hello });
    } else {
      current.end(duplicate, goodbye(duplicate), END_GRACE_MS);
    }
  }

  #onMutations(stream: PeerStream, frame: MutationsFrame): void {
    const from = stream.peer!;
    if (frame.compressed === undefined && stream.ordered === undefined) {
      this.#deliver(frame.mutations, from);
      return;
    }
    // A compressed batch decodes asynchronously; later batches of this stream wait behind it, to keep order.
    const previous = stream.ordered ?? Promise.resolve();
    const next = previous.then(async () => {
      const plain = frame.compressed === undefined ? frame : await decompressMutations(frame, { registry: this.#options.registry, maxDecodedBytes: this.#options.maxMessageBytes });
      if (this.#state === 'running') this.#deliver(plain.mutations, from);
    });
    stream.ordered = next.then(
      () => {
        if (stream.ordered === next) stream.ordered = undefined;
      },
      (error: unknown) => {
        if (stream.ordered === next) stream.ordered = undefined;
        this.#onBadInput(stream, error);
      },
    );
  }

  #deliver(mutations: readonly Mutation[], from: string): void {
    if (mutations.length === 0) return;
    this.#stats.delivered += mutations.length;
    try {
      this.#host!.onMutations(mutations, from);
    } catch (error) {
      this.#report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's onMutations threw on a batch from ${from}: ${String(error)}`, { cause: error }));
    }
  }

  async #serveChunk(stream: PeerStream, requestId: number, digest: string): Promise<void> {
    let data: Uint8Array | undefined;
    try {
      data = await this.#host!.readChunk(digest);
    } catch (error) {
      this.#report(new StatemeshError('IO_ERROR', `${PACKAGE}: reading chunk ${digest} for ${stream.peer} failed: ${String(error)}`, { cause: error }));
    }
    if (data !== undefined && data.byteLength + 256 > this.#options.maxMessageBytes) {
      this.#report(
        new StatemeshError(
          'FRAME_TOO_LARGE',
          `${PACKAGE}: chunk ${digest} (${data.byteLength} bytes) does not fit in one message of ${this.#options.maxMessageBytes}; answered as not found. Use smaller chunks or raise maxMessageBytes`,
        ),
      );
      data = undefined;
    }
    if (stream.state === 'closed') return;
    this.#send(stream, { kind: 'chunk-response', requestId, digest, found: data !== undefined, data: data ?? new Uint8Array(0) });
  }

  async #serveSnapshot(stream: PeerStream, frame: SnapshotRequestFrame): Promise<void> {
    const request: { prefixes: readonly string[]; vector?: SnapshotRequestFrame['vector']; pageSize?: number } = { prefixes: frame.prefixes };
    if (frame.vector !== undefined) request.vector = frame.vector;
    if (frame.pageSize !== undefined && frame.pageSize > 0) request.pageSize = frame.pageSize;
    let sentLast = false;
    try {
      for await (const page of this.#host!.snapshot(request)) {
        // Wait for the peer to take what is queued, so that a large snapshot never trips the high-water mark.
        await stream.writer.below(this.#options.highWaterMarkBytes / 2);
        if (stream.state === 'closed' || this.#state !== 'running') return;
        const pageFrame: SnapshotPageFrame = { kind: 'snapshot-page', requestId: frame.requestId, entries: [...page.entries], last: page.last };
        if (page.vector !== undefined) pageFrame.vector = page.vector;
        this.#sendPage(stream, pageFrame);
        if (page.last) {
          sentLast = true;
          return;
        }
      }
      if (!sentLast) this.#sendPage(stream, { kind: 'snapshot-page', requestId: frame.requestId, entries: [], last: true });
    } catch (error) {
      this.#report(new StatemeshError('INTERNAL', `${PACKAGE}: serving a snapshot to ${stream.peer} failed: ${String(error)}`, { cause: error }));
      if (stream.state !== 'closed') this.#send(stream, { kind: 'snapshot-page', requestId: frame.requestId, entries: [], last: true, error: String(error) });
    }
  }

  /** Sends a page, split in two (recursively) when it would not fit in one message. */
  #sendPage(stream: PeerStream, page: SnapshotPageFrame): void {
    const bytes = encodeEnvelope(page);
    if (bytes.byteLength <= this.#options.maxMessageBytes || page.entries.length <= 1) {
      this.#sendBytes(stream, bytes);
      return;
    }
    const half = page.entries.length >> 1;
    this.#sendPage(stream, { kind: 'snapshot-page', requestId: page.requestId, entries: page.entries.slice(0, half), last: false });
    const rest: SnapshotPageFrame = { kind: 'snapshot-page', requestId: page.requestId, entries: page.entries.slice(half), last: page.last };
    if (page.vector !== undefined) rest.vector = page.vector;
    this.#sendPage(stream, rest);
  }

  #tick(): void {
    const now = Date.now();
    for (const stream of this.#streams) {
      if (stream.state === 'handshake') {
        if (now - stream.openedAt > this.#options.handshakeTimeoutMs) {
          this.#report(new StatemeshError('TIMEOUT', `${PACKAGE}: ${stream.address} sent no Hello within ${this.#options.handshakeTimeoutMs} ms; closed the stream`));
          stream.destroy('no Hello in time', Status.DEADLINE_EXCEEDED);
        }
        continue;
      }
      if (stream.state !== 'active') continue;
      this.#send(stream, { kind: 'heartbeat', node: this.nodeId, sentAtMs: now });
      const peer = stream.peer!;
      switch (stream.liveness!.check(now)) {
        case 'suspect':
          this.#emit({ type: 'suspect', peer });
          break;
        case 'recovered':
          this.#emit({ type: 'up', peer, hello: stream.hello! });
          break;
        case 'dead':
          stream.destroy(`silent for ${DEAD_AFTER_INTERVALS} heartbeat intervals`, Status.UNAVAILABLE);
          break;
        default:
      }
    }
  }

  /** Encodes and queues a frame; false when the peer was dropped for not keeping up. */
  #send(stream: PeerStream, frame: Frame): boolean {
    return this.#sendBytes(stream, encodeEnvelope(frame));
  }

  #sendBytes(stream: PeerStream, bytes: Uint8Array, mutations = false): boolean {
    if (stream.state === 'closed') return true;
    if (!stream.sendBytes(bytes, mutations)) {
      this.#stats.slowPeerDisconnects++;
      const queued = stream.writer.queuedBytes;
      this.#report(
        new StatemeshError(
          'BACKPRESSURE',
          `${PACKAGE}: peer ${stream.peer ?? stream.address} did not keep up (${queued} bytes queued, high-water mark ${this.#options.highWaterMarkBytes}); disconnected it, it catches up when it reconnects`,
          { details: { peer: stream.peer, queued, highWaterMarkBytes: this.#options.highWaterMarkBytes } },
        ),
      );
      stream.destroy('disconnected for not keeping up (send backlog past its high-water mark)', Status.RESOURCE_EXHAUSTED);
      return false;
    }
    this.#stats.framesSent++;
    this.#stats.bytesSent += bytes.byteLength;
    return true;
  }

  /** One message per batch, or several when the encoded batch would pass `maxMessageBytes`. */
  #encodeMutations(batch: readonly Mutation[]): Uint8Array[] {
    const bytes = encodeEnvelope({ kind: 'mutations', mutations: batch as Mutation[] });
    if (bytes.byteLength <= this.#options.maxMessageBytes) return [bytes];
    if (batch.length === 1) {
      throw new StatemeshError(
        'FRAME_TOO_LARGE',
        `${PACKAGE}: a mutation of ${batch[0]!.path} encodes to ${bytes.byteLength} bytes, over maxMessageBytes ${this.#options.maxMessageBytes}; store large values as blobs (the session does above maxInlinePayloadBytes) or raise maxMessageBytes`,
        { details: { path: batch[0]!.path, size: bytes.byteLength, max: this.#options.maxMessageBytes } },
      );
    }
    const half = batch.length >> 1;
    return [...this.#encodeMutations(batch.slice(0, half)), ...this.#encodeMutations(batch.slice(half))];
  }

  #refuse(stream: PeerStream, error: StatemeshError): void {
    this.#report(error);
    stream.end(error.message, encodeEnvelope({ kind: 'goodbye', reason: error.message }), END_GRACE_MS);
  }

  #protocolError(stream: PeerStream, what: string): void {
    this.#stats.badFrames++;
    this.#report(new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: ${stream.peer ?? stream.address} ${what}; ended the stream`));
    stream.destroy(`protocol error: ${what}`, Status.INVALID_ARGUMENT);
  }

  #onBadInput(stream: PeerStream, error: unknown): void {
    this.#stats.badFrames++;
    const message = error instanceof Error ? error.message : String(error);
    this.#report(
      new StatemeshError(isStatemeshError(error) ? error.code : 'MALFORMED_FRAME', `${PACKAGE}: bad message from ${stream.peer ?? stream.address}, stream ended: ${message}`, {
        cause: error,
      }),
    );
    stream.destroy(`bad frame: ${message}`, Status.INVALID_ARGUMENT);
  }

  #onClosed(stream: PeerStream, reason: string, status: StatusObject | undefined): void {
    this.#streams.delete(stream);
    this.#failRequests(stream, peerUnavailable(PACKAGE, stream.peer ?? stream.address, reason));
    const dialer = this.#dialerOf.get(stream);
    if (dialer !== undefined && status !== undefined && status.code !== Status.OK && status.code !== Status.CANCELLED) this.#onDialFailure(dialer, status);
    const peer = stream.peer;
    if (peer !== undefined && this.#peers.get(peer) === stream) {
      this.#peers.delete(peer);
      this.#emit({ type: 'down', peer, reason });
      if (this.#state === 'running') for (const d of this.#dialers) if (d.node === peer && d !== dialer) d.wake();
    }
    if (dialer !== undefined && this.#state === 'running') {
      // Parked while the node is still up through another stream; redialled when that one goes down.
      dialer.closed(peer !== undefined && this.#peers.has(peer));
    }
  }

  /** Reports why a dialled stream failed, once per distinct reason while the seed keeps failing. */
  #onDialFailure(dialer: SeedDialer, status: StatusObject): void {
    if (this.#state !== 'running') return;
    const unauthenticated = status.code === Status.UNAUTHENTICATED;
    if (unauthenticated) this.#stats.authFailures++;
    const key = `${status.code}:${status.details}`;
    if (this.#lastDialError.get(dialer) === key) return;
    this.#lastDialError.set(dialer, key);
    const name = Status[status.code] ?? String(status.code);
    this.#report(
      unauthenticated
        ? new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: ${dialer.text} refused our stream (${status.details}); set auth.outboundToken to the token that node expects`, {
            details: { address: dialer.text, status: name },
          })
        : new StatemeshError('PEER_UNAVAILABLE', `${PACKAGE}: stream to ${dialer.text} failed with ${name}: ${status.details}; retrying with backoff`, {
            details: { address: dialer.text, status: name },
          }),
    );
  }

  /** Fails the chunk fetches and snapshot requests waiting on `stream`. */
  #failRequests(stream: PeerStream, error: Error): void {
    this.#chunks.failConnection(stream, error);
    this.#snapshots.failConnection(stream, error);
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
      // A throwing error callback must not take the transport down with it.
    }
  }

  #assertRunning(what: string): void {
    if (this.#state === 'closed') throw closedError(what);
    if (this.#state !== 'running') throw new StatemeshError('NOT_STARTED', `${PACKAGE}: call start(host) before ${what}()`);
  }
}

function closedError(what: string): StatemeshError {
  return new StatemeshError('CLOSED', `${PACKAGE}: the transport is closed; ${what} cannot run. Create a new GrpcTransport`);
}
