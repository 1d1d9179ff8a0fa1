// join() that finds no peer, writes after close(), and which retries a node logs: what a new user meets first.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { MemoryBlobStore } from '@statemesh/blob-store';
import { checkEntry, type SnapshotPage, type TransportHost } from '@statemesh/contracts';
import { ipcTransport } from '@statemesh/transport-ipc';
import { isStatemeshError, join, type PeerState, type PeerStatus, type Session, type SessionConfig } from '@statemesh/session';
import { waitFor } from './cluster.ts';

let dir: string;
let sessions: Session[];
beforeEach(() => {
  dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-lifecycle-'));
  sessions = [];
});
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const sock = (name: string): string => joinPath(dir, `${name}.sock`);

/** Joins node `id` listening on `<dir>/<id>.sock`; every line it logs goes to `lines`. */
async function node(id: string, extra: Partial<SessionConfig> = {}, lines: string[] = [], blobStore?: MemoryBlobStore): Promise<Session> {
  const session = await join(
    { clusterId: 'life', nodeId: id, listen: sock(id), heartbeatIntervalMs: 200, joinTimeoutMs: 3000, ...extra },
    { log: (line) => lines.push(line), blobStore },
  );
  sessions.push(session);
  return session;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('join() without peers', () => {
  it('resolves after the join timeout with no peer and warns once, naming the seeds', async () => {
    const lines: string[] = [];
    const b = await node('b', { seeds: [sock('nobody')], joinTimeoutMs: 300 }, lines);
    expect(b.status().peerCount).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^@statemesh\/session: node b joined with no peer up after 300 ms/);
    expect(lines[0]).toContain(sock('nobody'));
  });

  it('says nothing when a seed answers; status() names each peer with a PeerState', async () => {
    await node('a');
    const lines: string[] = [];
    const b = await node('b', { seeds: [sock('a')] }, lines);
    expect(b.status().peerCount).toBe(1);
    expect(lines).toEqual([]);
    expectTypeOf<PeerStatus['state']>().toEqualTypeOf<PeerState>();
    expectTypeOf<PeerState>().toEqualTypeOf<'connecting' | 'up' | 'suspect' | 'dead'>();
    const state: PeerState = b.status().peers[0]!.state;
    expect(state).toBe('up');
  });

  it('rejects with NO_PEERS under requirePeers, and leaves nothing open', async () => {
    const error = await rejection(node('b', { seeds: [sock('nobody')], joinTimeoutMs: 300, requirePeers: 1 }));
    expect(isStatemeshError(error, 'NO_PEERS')).toBe(true);
    expect((error as Error).message).toMatch(/^@statemesh\/session: node b has 0 peers up after 300 ms, and config\.requirePeers asks for 1/);
    expect((error as Error).message).toContain(sock('nobody'));
    expect(existsSync(sock('b'))).toBe(false); // the transport was closed: its socket file is gone
  });

  it('counts the peers that are up against requirePeers', async () => {
    await node('a');
    const error = await rejection(node('b', { seeds: [sock('a'), sock('nobody')], joinTimeoutMs: 500, requirePeers: 2 }));
    expect(isStatemeshError(error, 'NO_PEERS')).toBe(true);
    expect((error as Error).message).toContain('has 1 peer up');
    const b = await node('b', { seeds: [sock('a')], requirePeers: 1 });
    expect(b.status().peerCount).toBe(1);
  });

  it('refuses a requirePeers it cannot wait for', async () => {
    for (const extra of [{ requirePeers: 1, joinTimeoutMs: 0 }, { requirePeers: -1 }, { requirePeers: 1.5 }]) {
      const error = await rejection(node('b', { seeds: [sock('a')], ...extra }));
      expect(isStatemeshError(error, 'INVALID_CONFIG')).toBe(true);
      expect((error as Error).message).toMatch(/config\.requirePeers/);
    }
  });
});

describe('a closed session', () => {
  it('refuses every write with CLOSED and fires no watcher', async () => {
    const a = await node('a');
    const changes: string[] = [];
    a.watch('', (batch) => changes.push(...batch.map((c) => c.path)));
    a.set('before', 1);
    expect(changes).toEqual(['before']);
    await a.close();
    const writes: Array<[string, () => unknown]> = [
      ['set', () => a.set('after', 1)],
      ['setText', () => a.setText('after', 'x')],
      ['setBytes', () => a.setBytes('after', new Uint8Array(3))],
      ['delete', () => a.delete('before')],
    ];
    for (const [name, write] of writes) {
      let thrown: unknown;
      try {
        write();
      } catch (error) {
        thrown = error;
      }
      expect(isStatemeshError(thrown, 'CLOSED')).toBe(true);
      expect((thrown as Error).message).toContain(`${name}() cannot run`);
    }
    expect(changes).toEqual(['before']);
    expect(a.get('after')).toBeUndefined();
    // Watching a closed session is harmless and never fires.
    const unwatch = a.watch('', () => changes.push('late'));
    unwatch();
    expect(changes).toEqual(['before']);
  });

  it('stops delivering remote writes to watchers from the moment close() is called', async () => {
    const a = await node('a');
    const b = await node('b', { seeds: [sock('a')] });
    const seen: string[] = [];
    b.watch('', (batch) => seen.push(...batch.map((c) => c.path)));
    a.set('one', 1);
    await waitFor('b to see one', () => seen.includes('one'));
    const closing = b.close();
    a.set('two', 2); // may still reach b's replica before its transport closes, but no watcher hears of it
    await closing;
    await a.flush();
    expect(seen).toEqual(['one']);
  });

  it('rejects waitForData with CLOSED, pending or new', async () => {
    const a = await node('a');
    const pending = rejection(a.waitForData('never', 60_000));
    await a.close();
    expect(isStatemeshError(await pending, 'CLOSED')).toBe(true);
    expect(isStatemeshError(await rejection(a.waitForData('never')), 'CLOSED')).toBe(true);
  });
});

/** A blob store that answers "not found" to its first `misses` reads, then, when `lie` is set, wrong bytes. */
class FlakyBlobStore extends MemoryBlobStore {
  misses: number;
  lie = false;
  constructor(misses: number) {
    super();
    this.misses = misses;
  }
  override async get(digest: string): Promise<Uint8Array | undefined> {
    if (this.misses > 0) {
      this.misses--;
      return undefined;
    }
    if (this.lie) return new Uint8Array([1, 2, 3]);
    return super.get(digest);
  }
}

describe('hydration retries', () => {
  const big = (seed: number): Uint8Array => Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31 + seed) & 0xff);

  it('retries a chunk no peer has yet quietly, counting it, and logs nothing', async () => {
    const aStore = new FlakyBlobStore(0);
    const a = await node('a', {}, [], aStore);
    const lines: string[] = [];
    const b = await node('b', { seeds: [sock('a')] }, lines);
    aStore.misses = 3; // as if a were still fetching the chunks itself: b's first attempts find nothing
    a.setBytes('volume.raw', big(1));
    const value = await b.waitForData('volume.raw', 20_000);
    expect(value.bytes).toEqual(big(1));
    expect(b.metrics().hydrations).toMatchObject({ completed: 1, failed: 0 });
    expect(b.metrics().hydrations.retried).toBeGreaterThan(0);
    expect(lines).toEqual([]);
  });

  it('logs a real failure once per value, however often it is retried', async () => {
    const aStore = new FlakyBlobStore(0);
    const a = await node('a', {}, [], aStore);
    const lines: string[] = [];
    const b = await node('b', { seeds: [sock('a')] }, lines);
    aStore.lie = true; // a answers with bytes that do not hash to the digest asked for
    a.setBytes('volume.raw', big(2));
    await waitFor('b to retry a few times', () => b.metrics().hydrations.retried >= 2, 20_000);
    expect(b.metrics().hydrations.failed).toBe(1);
    const about = lines.filter((line) => line.includes('hydration of "volume.raw" failed'));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatch(/^@statemesh\/session: /);
  });
});

/** A bare transport as a peer, at `<dir>/p.sock`, serving its snapshot one page at a time, on `release()`. */
async function gatedPeer(): Promise<{ peer: ReturnType<typeof ipcTransport>; release: () => void }> {
  let open!: () => void;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const entry = checkEntry({ path: 'scene.title', version: { hlc: 1n << 16n, origin: 'p', seq: 1 }, tombstone: false, type: 'json', payload: new TextEncoder().encode('1') });
  const pages: SnapshotPage[] = [{ entries: [entry], last: false }, { entries: [], last: true, vector: { p: 1 } }];
  const host: TransportHost = {
    hello: () => ({ vector: { p: 1 } }),
    onMutations: () => undefined,
    onPeerEvent: () => undefined,
    readChunk: async () => undefined,
    async *snapshot() {
      for (const page of pages) {
        await gate;
        gate = new Promise<void>((resolve) => (open = resolve));
        yield page;
      }
    },
  };
  const peer = ipcTransport({ nodeId: 'p', clusterId: 'life', listen: sock('p'), onError: () => undefined });
  await peer.start(host);
  return { peer, release: () => open() };
}

describe('catch-ups', () => {
  it('progress() lists a catch-up only once it has brought entries', async () => {
    const { peer, release } = await gatedPeer();
    try {
      const b = await node('b', { seeds: [sock('p')], joinTimeoutMs: 200, antiEntropyIntervalMs: 600_000 });
      await waitFor('b to see p', () => b.status().peerCount === 1);
      // The catch-up from p is under way, waiting for its first page: nothing to show yet.
      expect(b.progress().catchUps).toEqual([]);
      release();
      await waitFor('the first page', () => b.get('scene.title') !== undefined);
      expect(b.progress().catchUps).toMatchObject([{ peer: 'p', pages: 1, entries: 1 }]);
      release();
      await waitFor('the catch-up to end', () => b.metrics().catchUps.completed === 1);
      expect(b.progress().catchUps).toEqual([]);
    } finally {
      release();
      await Promise.all(sessions.splice(0).map((s) => s.close()));
      await peer.close();
    }
  });

  it('counts a catch-up cut off by the peer leaving as interrupted, without logging it', async () => {
    const { peer, release } = await gatedPeer();
    const lines: string[] = [];
    try {
      const b = await node('b', { seeds: [sock('p')], joinTimeoutMs: 200, antiEntropyIntervalMs: 600_000 }, lines);
      await waitFor('b to see p', () => b.status().peerCount === 1);
      await peer.close(); // mid catch-up: b was waiting for the first page
      await waitFor('the catch-up to end', () => b.metrics().catchUps.interrupted === 1);
      expect(b.metrics().catchUps).toMatchObject({ completed: 0, failed: 0, interrupted: 1 });
      expect(lines.filter((line) => line.includes('catch-up'))).toEqual([]);
    } finally {
      release();
      await Promise.all(sessions.splice(0).map((s) => s.close()));
      await peer.close();
    }
  });
});
