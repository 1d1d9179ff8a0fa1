import { createServer, type Server, type Socket } from 'node:net';
import {
  StatemeshError,
  isDigest,
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
  Liveness,
  DEAD_AFTER_INTERVALS,
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
    const now = Date.now();
    const out: PeerInfo[] = [];
    for (const [node, connection] of this.#peers) {
      const liveness = connection.liveness!;
      out.push({
        node,
        state: liveness.state === 'suspect' ? 'suspect' : liveness.state === 'dead' ? 'dead' : 'up',
        lastSeenMs: Math.max(0, now - liveness.lastSeen),
        protocolVersion: connection.version,
        address: connection.address,
      });
    }
    return out;
  }

  /**
   * Fetches a blob by digest: asks `options.peer`, or every up peer in turn until one has it. Rejects with
   * `CHUNK_NOT_FOUND` (nobody has it), `NO_PEERS`, `TIMEOUT` (default 10 s) or `CANCELLED` (signal).
   */
  async fetchChunk(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    this.#assertRunning('fetchChunk');
    if (!isDigest(digest)) {
      throw new StatemeshError('INVALID_ARGUMENT', `${PACKAGE}: ${JSON.stringify(digest)} is not a SHA-256 digest (64 lowercase hex characters)`);
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    const candidates = options.peer === undefined ? [...this.#peers.keys()] : [options.peer];
    if (candidates.every((node) => !this.#peers.has(node))) {
      throw new StatemeshError(
        'NO_PEERS',
        options.peer === undefined
          ? `${PACKAGE}: no peer is connected to fetch chunk ${digest} from; wait for a peer to come up`
          : `${PACKAGE}: peer ${options.peer} is not connected; fetch chunk ${digest} from another peer or wait for it to come up`,
        { details: { digest, peer: options.peer } },
      );
    }
    const signal = options.signal;
    if (signal?.aborted === true) throw cancelled(digest);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StatemeshError('TIMEOUT', `${PACKAGE}: no peer delivered chunk ${digest} within ${timeoutMs} ms; retry later or raise timeoutMs`, {
              details: { digest, timeoutMs },
            }),
          ),
        timeoutMs,
      );
      onAbort = () => reject(cancelled(digest));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const cancel = { requestId: 0, connection: undefined as Connection | undefined };
    try {
      return await Promise.race([this.#askInTurn(digest, candidates, cancel), stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      cancel.connection?.chunkWaiters.delete(cancel.requestId);
    }
  }

  /** Asks `peer` for a snapshot or catch-up and yields its pages in order; throws `PEER_UNAVAILABLE` or `TIMEOUT`. */
  async *requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    this.#assertRunning('requestSnapshot');
    const connection = this.#peers.get(peer);
    if (connection === undefined) throw unavailable(peer, 'it is not connected');
    const requestId = this.#nextRequestId++;
    const queue: Array<{ page: SnapshotPage; error: string | undefined }> = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    connection.snapshotWaiters.set(requestId, {
      page(page, error) {
        queue.push({ page, error });
        wake?.();
      },
      fail(error) {
        failure = error;
        wake?.();
      },
    });
    const frame: SnapshotRequestFrame = { kind: 'snapshot-request', requestId, prefixes: [...request.prefixes] };
    if (request.vector !== undefined) frame.vector = request.vector;
    if (request.pageSize !== undefined) frame.pageSize = request.pageSize;
    const timeoutMs = this.#options.snapshotTimeoutMs;
    try {
      if (!this.#send(connection, frame)) throw unavailable(peer, 'it was disconnected for not keeping up');
      for (;;) {
        if (queue.length === 0 && failure === undefined) {
          let timer: NodeJS.Timeout | undefined;
          const timedOut = await new Promise<boolean>((resolve) => {
            wake = () => resolve(false);
            timer = setTimeout(() => resolve(true), timeoutMs);
          });
          wake = undefined;
          clearTimeout(timer);
          if (timedOut) {
            throw new StatemeshError('TIMEOUT', `${PACKAGE}: peer ${peer} sent no snapshot page for ${timeoutMs} ms; retry, or raise snapshotTimeoutMs`, {
              details: { peer, timeoutMs },
            });
          }
        }
        const next = queue.shift();
        if (next === undefined) throw failure!;
        if (next.error !== undefined) {
          throw new StatemeshError('INTERNAL', `${PACKAGE}: peer ${peer} could not produce the snapshot: ${next.error}`, { details: { peer } });
        }
        yield next.page;
        if (next.page.last) return;
      }
    } finally {
      connection.snapshotWaiters.delete(requestId);
    }
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
          failWaiters(connection, closedError('the request'));
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
      case 'chunk-response': {
        const waiter = connection.chunkWaiters.get(frame.requestId);
        connection.chunkWaiters.delete(frame.requestId);
        waiter?.resolve({ found: frame.found, data: frame.data });
        return;
      }
      case 'snapshot-request':
        void this.#serveSnapshot(connection, frame);
        return;
      case 'snapshot-page': {
        const page: SnapshotPage = frame.vector === undefined ? { entries: frame.entries, last: frame.last } : { entries: frame.entries, last: frame.last, vector: frame.vector };
        connection.snapshotWaiters.get(frame.requestId)?.page(page, frame.error);
        return;
      }
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

  async #askInTurn(digest: string, candidates: readonly string[], cancel: { requestId: number; connection: Connection | undefined }): Promise<Uint8Array> {
    let answered = 0;
    for (const node of candidates) {
      if (this.#state !== 'running') throw closedError('fetchChunk');
      const connection = this.#peers.get(node);
      if (connection === undefined) continue;
      const requestId = this.#nextRequestId++;
      cancel.requestId = requestId;
      cancel.connection = connection;
      const answer = new Promise<{ found: boolean; data: Uint8Array }>((resolve, reject) => connection.chunkWaiters.set(requestId, { resolve, reject }));
      if (!this.#send(connection, { kind: 'chunk-request', requestId, digest })) continue;
      try {
        const { found, data } = await answer;
        if (found) return data;
        answered++;
      } catch (error) {
        if (isStatemeshError(error, 'CLOSED')) throw error;
        // That peer went away: ask the next one.
      }
    }
    throw answered === 0
      ? new StatemeshError('NO_PEERS', `${PACKAGE}: every peer to ask for chunk ${digest} disconnected; retry when peers are up`, { details: { digest } })
      : new StatemeshError('CHUNK_NOT_FOUND', `${PACKAGE}: no peer holds chunk ${digest} (${answered} answered that they do not)`, { details: { digest, answered } });
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
    failWaiters(connection, unavailable(connection.peer ?? connection.address, reason));
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

function failWaiters(connection: Connection, error: Error): void {
  for (const waiter of connection.chunkWaiters.values()) waiter.reject(error);
  connection.chunkWaiters.clear();
  for (const waiter of connection.snapshotWaiters.values()) waiter.fail(error);
  connection.snapshotWaiters.clear();
}

function closedError(what: string): StatemeshError {
  return new StatemeshError('CLOSED', `${PACKAGE}: the transport is closed; ${what} cannot run. Create a new IpcTransport`);
}

function cancelled(digest: string): StatemeshError {
  return new StatemeshError('CANCELLED', `${PACKAGE}: fetch of chunk ${digest} was cancelled by its signal`, { details: { digest } });
}

function unavailable(peer: string, why: string): StatemeshError {
  return new StatemeshError('PEER_UNAVAILABLE', `${PACKAGE}: peer ${peer} is unavailable: ${why}; retry once it is back up`, { details: { peer } });
}
