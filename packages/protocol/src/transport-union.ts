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
import { PACKAGE } from './options.js';
import { peerUnavailable } from './peer-unavailable.js';
import { emptyStats } from './stats.js';

/**
 * One `Transport` over several that do not share links: the engine's point-to-point links beside a broadcast
 * medium (`@statemesh/transport-nats`), as a site gateway speaks both. A node reachable over two parts is one
 * peer: `up` when the first part has it, `down` when the last loses it. Requests go to a part that has the peer.
 */
export class TransportUnion implements Transport {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly #parts: readonly Transport[];
  /** For each peer, the parts it is up on. */
  readonly #upOn = new Map<string, Set<Transport>>();

  /** `parts` must share the node and cluster ids (`INVALID_CONFIG`). */
  constructor(parts: readonly Transport[]) {
    const first = parts[0];
    if (first === undefined) throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: a TransportUnion needs at least one transport`);
    for (const part of parts) {
      if (part.nodeId !== first.nodeId || part.clusterId !== first.clusterId) {
        throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: every transport of a union must be the same node of the same cluster (${first.clusterId}/${first.nodeId}, not ${part.clusterId}/${part.nodeId})`);
      }
    }
    this.nodeId = first.nodeId;
    this.clusterId = first.clusterId;
    this.#parts = [...parts];
  }

  /** Starts every part in order, each with the host's events merged per peer; a part that fails closes those started. */
  async start(host: TransportHost): Promise<void> {
    const started: Transport[] = [];
    try {
      for (const part of this.#parts) {
        await part.start({ ...bind(host), onPeerEvent: (event) => this.#onPeerEvent(part, event, host) });
        started.push(part);
      }
    } catch (error) {
      await Promise.all(started.map((part) => part.close()));
      throw error;
    }
  }

  /** To `to` over a part it is up on; otherwise over every part. Returns the peers reached, summed. */
  publish(batch: readonly Mutation[], options: { readonly to?: string; readonly except?: string } = {}): number {
    if (options.to !== undefined) {
      const part = this.#partOf(options.to);
      return part === undefined ? 0 : part.publish(batch, options);
    }
    let reached = 0;
    for (const part of this.#parts) reached += part.publish(batch, options);
    return reached;
  }

  /** Every peer once (as the first part that has it describes it). */
  peers(): PeerInfo[] {
    const seen = new Map<string, PeerInfo>();
    for (const part of this.#parts) for (const peer of part.peers()) if (!seen.has(peer.node)) seen.set(peer.node, peer);
    return [...seen.values()];
  }

  /** From `options.peer` over its part, or from each part that has peers in turn. */
  async fetchChunk(digest: string, options: FetchChunkOptions = {}): Promise<Uint8Array> {
    if (options.peer !== undefined) {
      const part = this.#partOf(options.peer) ?? this.#parts[0]!;
      return part.fetchChunk(digest, options);
    }
    const candidates = this.#parts.filter((part) => part.peers().length > 0);
    let last: unknown = undefined;
    for (const part of candidates.length === 0 ? this.#parts.slice(0, 1) : candidates) {
      try {
        return await part.fetchChunk(digest, options);
      } catch (error) {
        if (!isStatemeshError(error, 'CHUNK_NOT_FOUND') && !isStatemeshError(error, 'NO_PEERS')) throw error;
        last = error;
      }
    }
    throw last as Error;
  }

  /** Over the part `peer` is up on; `PEER_UNAVAILABLE` when none has it. */
  async *requestSnapshot(peer: string, request: SnapshotRequest): AsyncIterable<SnapshotPage> {
    const part = this.#partOf(peer);
    if (part === undefined) throw peerUnavailable(PACKAGE, peer, 'it is up on none of the transports');
    yield* part.requestSnapshot(peer, request);
  }

  /** The parts' counters, summed. */
  stats(): TransportStats {
    const sum: Record<keyof TransportStats, number> = { ...emptyStats() };
    for (const part of this.#parts) {
      const stats = part.stats();
      for (const key of Object.keys(sum) as Array<keyof TransportStats>) sum[key] += stats[key];
    }
    return sum;
  }

  /** Closes every part; idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.#parts.map((part) => part.close()));
  }

  #partOf(peer: string): Transport | undefined {
    const parts = this.#upOn.get(peer);
    return parts === undefined ? undefined : [...parts][0];
  }

  #onPeerEvent(part: Transport, event: PeerEvent, host: TransportHost): void {
    const parts = this.#upOn.get(event.peer) ?? new Set<Transport>();
    if (event.type === 'up') {
      const first = parts.size === 0;
      parts.add(part);
      this.#upOn.set(event.peer, parts);
      if (first) host.onPeerEvent(event);
    } else if (event.type === 'down') {
      if (!parts.delete(part)) return;
      if (parts.size > 0) return;
      this.#upOn.delete(event.peer);
      host.onPeerEvent(event);
    } else if (parts.size <= 1) {
      host.onPeerEvent(event);
    }
  }
}

/** The host's methods bound to it, so that a part can call them as its own host's. */
function bind(host: TransportHost): TransportHost {
  return {
    hello: () => host.hello(),
    ...(host.appliedVector === undefined ? {} : { appliedVector: () => host.appliedVector!() }),
    onMutations: (batch, from) => host.onMutations(batch, from),
    onPeerEvent: (event) => host.onPeerEvent(event),
    readChunk: (digest) => host.readChunk(digest),
    snapshot: (request) => host.snapshot(request),
  };
}
