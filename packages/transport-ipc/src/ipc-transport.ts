import { createServer, type Server, type Socket } from 'node:net';
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
  IPC_HEADER_BYTES,
  decompressMutations,
  encodeIpcFrame,
  type Frame,
  type HelloFrame,
  type MutationsFrame,
  type SnapshotPageFrame,
  type SnapshotRequestFrame,
  type UnknownFrame,
  Backoff,
  ChunkRequests,
  Liveness,
  DEAD_AFTER_INTERVALS,
  SnapshotStreams,
  describePeers,
  peerUnavailable,
} from '@statemesh/wire';
import { formatAddress, type IpcAddress } from './address.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { resolveOptions, type IpcTransportOptions, type ResolvedOptions } from './options.js';
import { SeedDialer } from './seed-dialer.js';
import { SOCKET_BUFFER_BYTES } from './socket-writer.js';
import { clearStaleSocket, removeOwnSocket, socketInode } from './socket-file.js';
import { negotiateVersion } from './version-range.js';

const PACKAGE = '@statemesh/transport-ipc';
/** How long a closing connection may take to flush its goodbye before it is cut. */
const END_GRACE_MS = 1_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A statemesh {@link Transport} between processes of one machine, over Unix-domain sockets or loopback TCP: Hello
 * exchange with version negotiation, seeds redialled with exponential backoff and jitter, one logical connection
 * per peer, back-pressure with a high-water mark, heartbeats, chunk fetch and paged snapshots.
 */
export class IpcTransport implements Transport {
  /** This node's id. */
  readonly nodeId: string;
  /** The cluster this node belongs to. */
  readonly clusterId: string;
  readonly #options: ResolvedOptions;
  #host: TransportHost | undefined;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #server: Server | undefined;
  #listening: IpcAddress | undefined;
  #socketInode: number | undefined;
  readonly #connections = new Set<Connection>();
  /** The active connection of every peer whose Hello we accepted. */
  readonly #peers = new Map<string, Connection>();
  readonly #dialers: SeedDialer[] = [];
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #nextRequestId = 1;
  readonly #chunks: ChunkRequests<Connection>;
  readonly #snapshots: SnapshotStreams<Connection>;
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
  readonly #events: ConnectionEvents = {
    received: (_connection, bytes) => {
      this.#stats.bytesReceived += bytes;
    },
    frame: (connection, version, frame) => this.#onFrame(connection, version, frame),
    badInput: (connection, error) => this.#onBadInput(connection, error),
    closed: (connection, reason) => this.#onClosed(connection, reason),
  };

  /** Validates `options` (throws `INVALID_ID` / `INVALID_CONFIG`); nothing is opened until {@link start}. */
  constructor(options: IpcTransportOptions) {
    this.#options = resolveOptions(options);
    this.nodeId = this.#options.nodeId;
    this.clusterId = this.#options.clusterId;
    const nextRequestId = (): number => this.#nextRequestId++;
    const send = (connection: Connection, frame: Frame): boolean => this.#send(connection, frame);
    this.#chunks = new ChunkRequests({
      source: PACKAGE,
      peers: this.#peers,
      nextRequestId,
      send,
      closedError: () => (this.#state === 'running' ? undefined : closedError('fetchChunk')),
    });
    this.#snapshots = new SnapshotStreams({ source: PACKAGE, peers: this.#peers, pageTimeoutMs: this.#options.snapshotTimeoutMs, nextRequestId, send });
  }

  /** The address this node listens on, with the real port when `tcp://...:0` was asked for; undefined when not listening. */
  address(): string | undefined {
    return this.#listening === undefined ? undefined : formatAddress(this.#listening);
  }

  /** Sockets open right now, including those still exchanging Hello or being wound down as duplicates. */
  openConnections(): number {
    return this.#connections.size;
  }

  /** Listens (removing a stale socket file first), starts heartbeats and dials the seeds; resolves once listening. */
  async start(host: TransportHost): Promise<void> {
    if (this.#state === 'closed') throw closedError('start');
    if (this.#state !== 'new') throw new StatemeshError('INVALID_ARGUMENT', `${PACKAGE}: start() was already called on node ${this.nodeId}`);
    this.#state = 'starting';
    this.#host = host;
    if (this.#options.listen !== undefined) {
      try {
        await this.#listen(this.#options.listen);
      } catch (error) {
        this.#state = 'closed';
        throw error;
      }
      if (this.#state !== 'starting') {
        // close() was called while we were binding.
        await this.#closeServer();
        throw closedError('start');
      }
    }
    this.#state = 'running';
    this.#heartbeatTimer = setInterval(() => this.#tick(), this.#options.heartbeatIntervalMs);
    this.#heartbeatTimer.unref();
    const { initialMs, maxMs } = this.#options.reconnect;
    for (const seed of this.#options.seeds) {
      const dialer = new SeedDialer(seed, new Backoff({ initialMs, maxMs }), (socket, from) => this.#adopt(socket, true, from.text, from));
      this.#dialers.push(dialer);
      dialer.dial();
    }
  }

  /** Queues `batch` to every up peer (or `to` only), except `except`; returns how many peers it was queued to. */
  publish(batch: readonly Mutation[], options: { readonly to?: string; readonly except?: string } = {}): number {
    if (this.#state !== 'running' || batch.length === 0) return 0;
    let frames: Uint8Array[] | undefined;
    let count = 0;
    const targets = options.to === undefined ? this.#peers.values() : [this.#peers.get(options.to)];
    for (const connection of targets) {
      if (connection === undefined || connection.peer === options.except || connection.state !== 'active') continue;
      frames ??= this.#encodeMutations(batch);
      let ok = true;
      for (const bytes of frames) {
        if (!this.#sendBytes(connection, bytes)) {
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

  /** Bytes queued to `peer` (or, without one, to the most backlogged peer) and not yet taken by the kernel. */
  backlogBytes(peer?: string): number {
    if (peer !== undefined) return this.#peers.get(peer)?.writer.queuedBytes ?? 0;
    let most = 0;
    for (const connection of this.#peers.values()) most = Math.max(most, connection.writer.queuedBytes);
    return most;
  }

  /**
   * Resolves once every peer's backlog is at or below `bytes` (default: half the high-water mark). A producer
   * that awaits this between batches runs at the pace of its slowest peer instead of having it disconnected.
   */
  async whenBacklogBelow(bytes = this.#options.highWaterMarkBytes / 2): Promise<void> {
    await Promise.all([...this.#peers.values()].map((connection) => connection.writer.below(bytes)));
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

  /** Says goodbye to every peer, closes every socket, the listener and every timer, removes our socket file; idempotent. */
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
    const allClosed = [...this.#connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          if (connection.state === 'closed') resolve();
          else connection.socket.once('close', () => resolve());
          this.#failRequests(connection, closedError('the request'));
          connection.end('node is closing', END_GRACE_MS);
        }),
    );
    if (wasRunning) for (const peer of peers) this.#emit({ type: 'down', peer, reason: 'this node closed its transport' });
    await Promise.all(allClosed);
    await this.#closeServer();
  }

  async #listen(address: IpcAddress): Promise<void> {
    if (address.kind === 'unix') await clearStaleSocket(address.path);
    const server = createServer({ noDelay: true, highWaterMark: SOCKET_BUFFER_BYTES }, (socket) => {
      if (this.#state !== 'running' && this.#state !== 'starting') {
        socket.destroy();
        return;
      }
      const remote = address.kind === 'unix' ? formatAddress(address) : `tcp://${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
      this.#adopt(socket, false, remote, undefined);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        this.#server = undefined;
        reject(
          new StatemeshError(
            'IO_ERROR',
            `${PACKAGE}: cannot listen on ${formatAddress(address)} (${error.code ?? error.message}); choose another address`,
            { cause: error, details: { address: formatAddress(address) } },
          ),
        );
      });
      if (address.kind === 'unix') server.listen({ path: address.path, backlog: 64 }, resolve);
      else server.listen({ host: address.host, port: address.port, backlog: 64 }, resolve);
    });
    server.on('error', (error) => this.#report(new StatemeshError('IO_ERROR', `${PACKAGE}: listener error: ${error.message}`, { cause: error })));
    if (address.kind === 'unix') {
      this.#listening = address;
      this.#socketInode = await socketInode(address.path);
    } else {
      const bound = server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
      this.#listening = { kind: 'tcp', host: address.host, port };
    }
  }

  async #closeServer(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.#listening?.kind === 'unix') await removeOwnSocket(this.#listening.path, this.#socketInode);
  }

  /** Takes over a connected socket: sends our Hello at once and waits for the peer's. */
  #adopt(socket: Socket, dialed: boolean, address: string, dialer: SeedDialer | undefined): void {
    if (this.#state !== 'running' && this.#state !== 'starting') {
      socket.destroy();
      return;
    }
    if (socket.remoteFamily !== undefined) socket.setNoDelay(true);
    const connection = new Connection(
      socket,
      { dialed, address, maxFrameBytes: this.#options.maxFrameBytes, highWaterMarkBytes: this.#options.highWaterMarkBytes },
      this.#events,
    );
    if (dialer !== undefined) dialerOf.set(connection, dialer);
    this.#connections.add(connection);
    let info;
    try {
      info = this.#host!.hello();
    } catch (error) {
      this.#report(new StatemeshError('INTERNAL', `${PACKAGE}: the host's hello() threw; closed the connection to ${address}: ${String(error)}`, { cause: error }));
      connection.destroy('the host could not say hello');
      return;
    }
    const hello: HelloFrame = {
      kind: 'hello',
      node: this.nodeId,
      cluster: this.clusterId,
      minVersion: this.#options.protocolVersions.min,
      maxVersion: this.#options.protocolVersions.max,
      vector: { ...info.vector },
      interests: [...(info.interests ?? [])],
      capabilities: [...(info.capabilities ?? [])],
    };
    // The Hello goes at our lowest version, which any peer that can talk to us at all can read.
    this.#send(connection, hello, this.#options.protocolVersions.min);
  }

  #onFrame(connection: Connection, _version: number, frame: Frame | UnknownFrame): void {
    this.#stats.framesReceived++;
    if (frame.kind === 'unknown') {
      this.#stats.unknownFrames++;
      return;
    }
    if (connection.state === 'handshake') {
      if (frame.kind === 'hello') this.#onHello(connection, frame);
      else if (frame.kind === 'goodbye') connection.peerGoodbye = frame.reason;
      else this.#protocolError(connection, `sent a ${frame.kind} frame before its Hello`);
      return;
    }
    if (connection.state === 'closed') return;
    switch (frame.kind) {
      case 'mutations':
        this.#onMutations(connection, frame);
        return;
      case 'heartbeat':
        return; // Receiving it already stamped the peer's liveness.
      case 'chunk-request':
        void this.#serveChunk(connection, frame.requestId, frame.digest);
        return;
      case 'chunk-response':
        this.#chunks.answer(connection, frame);
        return;
      case 'snapshot-request':
        void this.#serveSnapshot(connection, frame);
        return;
      case 'snapshot-page':
        this.#snapshots.page(connection, frame);
        return;
      case 'goodbye':
        connection.peerGoodbye = frame.reason;
        return;
      case 'hello':
        this.#protocolError(connection, 'sent a second Hello');
        return;
    }
  }

  #onHello(connection: Connection, frame: HelloFrame): void {
    const peer = frame.node;
    if (frame.cluster !== this.clusterId) {
      this.#refuse(
        connection,
        new StatemeshError(
          'CLUSTER_MISMATCH',
          `${PACKAGE}: node ${peer} at ${connection.address} belongs to cluster ${frame.cluster}, this node ${this.nodeId} to ${this.clusterId}; fix the seeds or the cluster ids`,
          { details: { peer, theirs: frame.cluster, ours: this.clusterId } },
        ),
      );
      return;
    }
    let version: number;
    try {
      version = negotiateVersion(this.#options.protocolVersions, { min: frame.minVersion, max: frame.maxVersion }, peer);
    } catch (error) {
      this.#refuse(connection, error as StatemeshError);
      return;
    }
    const dialer = dialerOf.get(connection);
    if (peer === this.nodeId) {
      dialer?.stop();
      this.#refuse(
        connection,
        new StatemeshError('INVALID_CONFIG', `${PACKAGE}: node ${this.nodeId} dialled ${connection.address}, which is itself; remove it from the seeds`, {
          details: { address: connection.address },
        }),
      );
      return;
    }
    connection.peer = peer;
    connection.version = version;
    connection.hello = { vector: frame.vector, interests: frame.interests, capabilities: frame.capabilities };
    connection.liveness = new Liveness(this.#options.heartbeatIntervalMs, Date.now());
    if (dialer !== undefined) {
      dialer.node = peer;
      dialer.succeeded();
    }
    const current = this.#peers.get(peer);
    if (current === undefined) {
      connection.state = 'active';
      this.#peers.set(peer, connection);
      this.#emit({ type: 'up', peer, hello: connection.hello });
      return;
    }
    // Two connections to one node (both dialled each other, or it restarted before we noticed). Both sides pick
    // the same one: the connection dialled by the smaller node id; between two dialled by the same side, the newer.
    const dialerNode = (c: Connection): string => (c.dialed ? this.nodeId : peer);
    const keepNew = dialerNode(current) === dialerNode(connection) || dialerNode(connection) < dialerNode(current);
    if (!keepNew) {
      connection.state = 'standby';
      connection.end('duplicate connection: keeping the one dialled by the smaller node id', END_GRACE_MS);
      return;
    }
    connection.state = 'active';
    this.#peers.set(peer, connection);
    current.state = 'standby';
    if (current.dialed === connection.dialed) {
      // The same side dialled again: the peer restarted. Report it, so that its catch-up is asked for again.
      current.end('replaced by a newer connection', END_GRACE_MS);
      this.#emit({ type: 'down', peer, reason: 'replaced by a newer connection (the peer restarted)' });
      this.#emit({ type: 'up', peer, hello: connection.hello });
    } else {
      current.end('duplicate connection: keeping the one dialled by the smaller node id', END_GRACE_MS);
    }
  }

  #onMutations(connection: Connection, frame: MutationsFrame): void {
    const from = connection.peer!;
    if (frame.compressed === undefined && connection.ordered === undefined) {
      this.#deliver(frame.mutations, from);
      return;
    }
    // A compressed batch decodes asynchronously; later batches of this connection wait behind it, to keep order.
    const previous = connection.ordered ?? Promise.resolve();
    const next = previous.then(async () => {
      const plain = frame.compressed === undefined ? frame : await decompressMutations(frame, { registry: this.#options.registry, maxDecodedBytes: this.#options.maxFrameBytes });
      if (this.#state === 'running') this.#deliver(plain.mutations, from);
    });
    connection.ordered = next.then(
      () => {
        if (connection.ordered === next) connection.ordered = undefined;
      },
      (error: unknown) => {
        if (connection.ordered === next) connection.ordered = undefined;
        this.#onBadInput(connection, error);
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

  async #serveChunk(connection: Connection, requestId: number, digest: string): Promise<void> {
    let data: Uint8Array | undefined;
    try {
      data = await this.#host!.readChunk(digest);
    } catch (error) {
      this.#report(new StatemeshError('IO_ERROR', `${PACKAGE}: reading chunk ${digest} for ${connection.peer} failed: ${String(error)}`, { cause: error }));
    }
    if (data !== undefined && data.byteLength + 256 > this.#options.maxFrameBytes) {
      this.#report(
        new StatemeshError('FRAME_TOO_LARGE', `${PACKAGE}: chunk ${digest} (${data.byteLength} bytes) does not fit in one frame of ${this.#options.maxFrameBytes}; answered as not found. Use smaller chunks or raise maxFrameBytes`),
      );
      data = undefined;
    }
    if (connection.state === 'closed') return;
    this.#send(connection, { kind: 'chunk-response', requestId, digest, found: data !== undefined, data: data ?? new Uint8Array(0) });
  }

  async #serveSnapshot(connection: Connection, frame: SnapshotRequestFrame): Promise<void> {
    const request: { prefixes: readonly string[]; vector?: SnapshotRequestFrame['vector']; pageSize?: number } = { prefixes: frame.prefixes };
    if (frame.vector !== undefined) request.vector = frame.vector;
    if (frame.pageSize !== undefined && frame.pageSize > 0) request.pageSize = frame.pageSize;
    let sentLast = false;
    try {
      for await (const page of this.#host!.snapshot(request)) {
        // Wait for the peer to take what is queued, so that a large snapshot never trips the high-water mark.
        await connection.writer.below(this.#options.highWaterMarkBytes / 2);
        if (connection.state === 'closed' || this.#state !== 'running') return;
        const pageFrame: SnapshotPageFrame = { kind: 'snapshot-page', requestId: frame.requestId, entries: [...page.entries], last: page.last };
        if (page.vector !== undefined) pageFrame.vector = page.vector;
        this.#sendPage(connection, pageFrame);
        if (page.last) {
          sentLast = true;
          return;
        }
      }
      if (!sentLast) this.#sendPage(connection, { kind: 'snapshot-page', requestId: frame.requestId, entries: [], last: true });
    } catch (error) {
      this.#report(new StatemeshError('INTERNAL', `${PACKAGE}: serving a snapshot to ${connection.peer} failed: ${String(error)}`, { cause: error }));
      if (connection.state !== 'closed') {
        this.#send(connection, { kind: 'snapshot-page', requestId: frame.requestId, entries: [], last: true, error: String(error) });
      }
    }
  }

  /** Sends a page, split in two (recursively) when it would not fit in one frame. */
  #sendPage(connection: Connection, page: SnapshotPageFrame): void {
    const bytes = encodeIpcFrame(page, { version: connection.version });
    if (bytes.byteLength - IPC_HEADER_BYTES <= this.#options.maxFrameBytes || page.entries.length <= 1) {
      this.#sendBytes(connection, bytes);
      return;
    }
    const half = page.entries.length >> 1;
    this.#sendPage(connection, { kind: 'snapshot-page', requestId: page.requestId, entries: page.entries.slice(0, half), last: false });
    const rest: SnapshotPageFrame = { kind: 'snapshot-page', requestId: page.requestId, entries: page.entries.slice(half), last: page.last };
    if (page.vector !== undefined) rest.vector = page.vector;
    this.#sendPage(connection, rest);
  }

  #tick(): void {
    const now = Date.now();
    for (const connection of this.#connections) {
      if (connection.state === 'handshake') {
        if (now - connection.openedAt > this.#options.handshakeTimeoutMs) {
          this.#report(new StatemeshError('TIMEOUT', `${PACKAGE}: ${connection.address} sent no Hello within ${this.#options.handshakeTimeoutMs} ms; closed the connection`));
          connection.destroy('no Hello in time');
        }
        continue;
      }
      if (connection.state !== 'active') continue;
      this.#send(connection, { kind: 'heartbeat', node: this.nodeId, sentAtMs: now });
      const peer = connection.peer!;
      switch (connection.liveness!.check(now)) {
        case 'suspect':
          this.#emit({ type: 'suspect', peer });
          break;
        case 'recovered':
          this.#emit({ type: 'up', peer, hello: connection.hello! });
          break;
        case 'dead':
          connection.destroy(`silent for ${DEAD_AFTER_INTERVALS} heartbeat intervals`);
          break;
        default:
      }
    }
  }

  /** Encodes and queues a frame; false when the peer was dropped for not keeping up. */
  #send(connection: Connection, frame: Frame, version = connection.version || this.#options.protocolVersions.min): boolean {
    return this.#sendBytes(connection, encodeIpcFrame(frame, { version }));
  }

  #sendBytes(connection: Connection, bytes: Uint8Array): boolean {
    if (connection.state === 'closed' || connection.socket.destroyed || connection.socket.writableEnded) return true;
    if (!connection.writer.write(bytes)) {
      this.#stats.slowPeerDisconnects++;
      const queued = connection.writer.queuedBytes;
      this.#report(
        new StatemeshError(
          'BACKPRESSURE',
          `${PACKAGE}: peer ${connection.peer ?? connection.address} did not keep up (${queued} bytes queued, high-water mark ${this.#options.highWaterMarkBytes}); disconnected it, it catches up when it reconnects`,
          { details: { peer: connection.peer, queued, highWaterMarkBytes: this.#options.highWaterMarkBytes } },
        ),
      );
      connection.destroy('disconnected for not keeping up (write buffer past its high-water mark)');
      return false;
    }
    this.#stats.framesSent++;
    this.#stats.bytesSent += bytes.byteLength;
    return true;
  }

  /** One frame per batch, or several when the encoded batch would pass `maxFrameBytes`. */
  #encodeMutations(batch: readonly Mutation[]): Uint8Array[] {
    const bytes = encodeIpcFrame({ kind: 'mutations', mutations: batch as Mutation[] });
    if (bytes.byteLength - IPC_HEADER_BYTES <= this.#options.maxFrameBytes) return [bytes];
    if (batch.length === 1) {
      throw new StatemeshError(
        'FRAME_TOO_LARGE',
        `${PACKAGE}: a mutation of ${batch[0]!.path} encodes to ${bytes.byteLength} bytes, over maxFrameBytes ${this.#options.maxFrameBytes}; store large values as blobs (the session does above maxInlinePayloadBytes) or raise maxFrameBytes`,
        { details: { path: batch[0]!.path, size: bytes.byteLength, max: this.#options.maxFrameBytes } },
      );
    }
    const half = batch.length >> 1;
    return [...this.#encodeMutations(batch.slice(0, half)), ...this.#encodeMutations(batch.slice(half))];
  }

  #refuse(connection: Connection, error: StatemeshError): void {
    this.#report(error);
    connection.end(error.message, END_GRACE_MS);
  }

  #protocolError(connection: Connection, what: string): void {
    this.#stats.badFrames++;
    this.#report(new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: ${connection.peer ?? connection.address} ${what}; closed the connection`));
    connection.destroy(`protocol error: ${what}`);
  }

  #onBadInput(connection: Connection, error: unknown): void {
    this.#stats.badFrames++;
    const message = error instanceof Error ? error.message : String(error);
    this.#report(
      new StatemeshError(
        isStatemeshError(error) ? error.code : 'MALFORMED_FRAME',
        `${PACKAGE}: bad input from ${connection.peer ?? connection.address}, connection closed: ${message}`,
        { cause: error },
      ),
    );
    connection.destroy(`bad frame: ${message}`);
  }

  #onClosed(connection: Connection, reason: string): void {
    this.#connections.delete(connection);
    this.#failRequests(connection, peerUnavailable(PACKAGE, connection.peer ?? connection.address, reason));
    const peer = connection.peer;
    if (peer !== undefined && this.#peers.get(peer) === connection) {
      this.#peers.delete(peer);
      this.#emit({ type: 'down', peer, reason });
      if (this.#state === 'running') for (const dialer of this.#dialers) if (dialer.node === peer) dialer.wake();
    }
    const dialer = dialerOf.get(connection);
    if (dialer !== undefined && this.#state === 'running') {
      // Parked while the node is still up through another connection; redialled when that one goes down.
      dialer.closed(peer !== undefined && this.#peers.has(peer));
    }
  }

  /** Fails the chunk fetches and snapshot requests waiting on `connection`. */
  #failRequests(connection: Connection, error: Error): void {
    this.#chunks.failConnection(connection, error);
    this.#snapshots.failConnection(connection, error);
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

const dialerOf = new WeakMap<Connection, SeedDialer>();

function closedError(what: string): StatemeshError {
  return new StatemeshError('CLOSED', `${PACKAGE}: the transport is closed; ${what} cannot run. Create a new IpcTransport`);
}
