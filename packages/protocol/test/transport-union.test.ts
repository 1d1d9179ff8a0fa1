import { describe, expect, it } from 'vitest';
import { StatemeshError, type Mutation, type PeerEvent, type PeerInfo, type SnapshotPage, type Transport, type TransportHost, type TransportStats } from '@statemesh/contracts';
import { TransportUnion } from '@statemesh/protocol';

/** A transport whose peers and answers the test sets; it records what it was asked to do. */
class FakeTransport implements Transport {
  readonly clusterId = 'c';
  host: TransportHost | undefined;
  peerList: string[] = [];
  chunks = new Map<string, Uint8Array>();
  readonly published: Array<{ batch: readonly Mutation[]; to: string | undefined }> = [];
  closed = false;
  constructor(readonly nodeId = 'me') {}
  async start(host: TransportHost): Promise<void> {
    this.host = host;
  }
  up(peer: string): void {
    this.peerList.push(peer);
    this.host!.onPeerEvent({ type: 'up', peer, hello: { vector: {} } });
  }
  down(peer: string): void {
    this.peerList = this.peerList.filter((p) => p !== peer);
    this.host!.onPeerEvent({ type: 'down', peer, reason: 'gone' });
  }
  publish(batch: readonly Mutation[], options: { to?: string } = {}): number {
    this.published.push({ batch, to: options.to });
    return options.to === undefined ? this.peerList.length : 1;
  }
  peers(): PeerInfo[] {
    return this.peerList.map((node) => ({ node, state: 'up', lastSeenMs: 0, protocolVersion: 1 }));
  }
  async fetchChunk(digest: string): Promise<Uint8Array> {
    const data = this.chunks.get(digest);
    if (data === undefined) throw new StatemeshError('CHUNK_NOT_FOUND', 'fake: not here');
    return data;
  }
  async *requestSnapshot(peer: string): AsyncIterable<SnapshotPage> {
    yield { entries: [], last: true, vector: { [peer]: 1 } };
  }
  stats(): TransportStats {
    return { published: 1, delivered: 2, framesSent: 3, framesReceived: 4, bytesSent: 5, bytesReceived: 6, badFrames: 0, unknownFrames: 0, authFailures: 1, slowPeerDisconnects: 0 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function recordingHost(events: PeerEvent[]): TransportHost {
  return {
    hello: () => ({ vector: {} }),
    onMutations: () => undefined,
    onPeerEvent: (event) => void events.push(event),
    readChunk: async () => undefined,
    async *snapshot() {
      yield { entries: [], last: true };
    },
  };
}

describe('TransportUnion', () => {
  it('makes a peer on two parts one peer: up on the first, down after the last', async () => {
    const [links, medium] = [new FakeTransport(), new FakeTransport()];
    const events: PeerEvent[] = [];
    const union = new TransportUnion([links, medium]);
    await union.start(recordingHost(events));
    links.up('gw');
    medium.up('gw');
    medium.up('x');
    expect(union.peers().map((p) => p.node)).toEqual(['gw', 'x']);
    links.down('gw');
    expect(events.map((e) => `${e.type} ${e.peer}`)).toEqual(['up gw', 'up x']);
    medium.down('gw');
    expect(events.map((e) => `${e.type} ${e.peer}`)).toEqual(['up gw', 'up x', 'down gw']);
  });

  it('sends to one peer over its part, to everyone over every part; fetches chunks part by part', async () => {
    const [links, medium] = [new FakeTransport(), new FakeTransport()];
    const union = new TransportUnion([links, medium]);
    await union.start(recordingHost([]));
    links.up('a');
    medium.up('x');
    const batch: Mutation[] = [];
    expect(union.publish(batch, { to: 'x' })).toBe(1);
    expect(links.published).toEqual([]);
    expect(union.publish(batch, { to: 'nobody' })).toBe(0);
    expect(union.publish(batch)).toBe(2);
    expect(links.published.length + medium.published.length).toBe(3);
    medium.chunks.set('d', new Uint8Array([7]));
    await expect(union.fetchChunk('d')).resolves.toEqual(new Uint8Array([7]));
    await expect(union.fetchChunk('e')).rejects.toMatchObject({ code: 'CHUNK_NOT_FOUND' });
    const pages = [];
    for await (const page of union.requestSnapshot('x', { prefixes: [] })) pages.push(page);
    expect(pages[0]!.vector).toEqual({ x: 1 });
    await expect(async () => {
      for await (const page of union.requestSnapshot('nobody', { prefixes: [] })) void page;
    }).rejects.toMatchObject({ code: 'PEER_UNAVAILABLE' });
    expect(union.stats()).toMatchObject({ framesSent: 6, authFailures: 2 });
    await union.close();
    expect(links.closed && medium.closed).toBe(true);
  });

  it('refuses parts of different nodes', () => {
    expect(() => new TransportUnion([new FakeTransport('a'), new FakeTransport('b')])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new TransportUnion([])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
