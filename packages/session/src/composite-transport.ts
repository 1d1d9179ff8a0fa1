import {
  StatemeshError,
  type FetchChunkOptions,
  type Mutation,
  type PeerInfo,
  type SnapshotPage,
  type SnapshotRequest,
  type Transport,
  type TransportHost,
  type TransportStats,
} from '@statemesh/contracts';

/**
 * Several transports seen as one: a node that bridges, say, the processes of its machine (IPC) to other machines
 * (gRPC). Peers of every transport are the node's peers; a write goes out on each; a request goes through the
 * transport its peer is on. A peer reachable on two transports gets each write twice, and drops the duplicate.
 */
export class CompositeTransport implements Transport {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly #transports: readonly Transport[];

  constructor(transports: readonly Transport[]) {
    const first = transports[0];
    if (first === undefined) throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/session: a composite transport needs at least one transport');
    this.nodeId = first.nodeId;
    this.clusterId = first.clusterId;
    this.#transports = transports;
  }

  async start(host: TransportHost): Promise<void> {
    await Promise.all(this.#transports.map((transport) => transport.start(host)));
  }

  publish(batch: readonly Mutation[], options?: { readonly to?: string; readonly except?: string }): number {
    let queued = 0;
    for (const transport of this.#transports) {
      if (options?.to !== undefined && !this.#has(transport, options.to)) continue;
      queued += transport.publish(batch, options);
    }
    return queued;
  }

  peers(): PeerInfo[] {
    return this.#transports.flatMap((transport) => transport.peers());
  }

  async fetchChunk(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    if (options.peer !== undefined) return this.#through(options.peer).fetchChunk(digest, options);
    let last: unknown;
    for (const transport of this.#transports) {
      try {
        return await transport.fetchChunk(digest, options);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    return this.#through(peer).requestSnapshot(peer, request);
  }

  stats(): TransportStats {
    const all = this.#transports.map((transport) => transport.stats());
    const sum = (key: keyof TransportStats) => all.reduce((total, stats) => total + stats[key], 0);
    return {
      published: sum('published'),
      delivered: sum('delivered'),
      framesSent: sum('framesSent'),
      framesReceived: sum('framesReceived'),
      bytesSent: sum('bytesSent'),
      bytesReceived: sum('bytesReceived'),
      badFrames: sum('badFrames'),
      unknownFrames: sum('unknownFrames'),
      authFailures: sum('authFailures'),
      slowPeerDisconnects: sum('slowPeerDisconnects'),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#transports.map((transport) => transport.close()));
  }

  #has(transport: Transport, peer: string): boolean {
    return transport.peers().some((info) => info.node === peer && info.state !== 'dead');
  }

  #through(peer: string): Transport {
    const transport = this.#transports.find((t) => this.#has(t, peer));
    if (transport === undefined) {
      throw new StatemeshError('PEER_UNAVAILABLE', `@statemesh/session: no transport is connected to peer '${peer}'`, { details: { peer } });
    }
    return transport;
  }
}
