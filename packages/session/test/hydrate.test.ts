// The hydration policy over real Unix sockets: eager, lazy and by prefix; fetch(path) shared and cancellable;
// waitForData on a lazy node; blobs by digest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '@statemesh/blob-store';
import { isStatemeshError, join, type Session, type SessionConfig } from '@statemesh/session';
import { waitFor } from './cluster.ts';

/** A memory blob store that counts the reads of each digest (a peer's chunk request is one). */
class CountingStore extends MemoryBlobStore {
  readonly reads = new Map<string, number>();
  override get(digest: string): Promise<Uint8Array | undefined> {
    this.reads.set(digest, (this.reads.get(digest) ?? 0) + 1);
    return super.get(digest);
  }
}

let dir: string;
let sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  sessions = [];
  rmSync(dir, { recursive: true, force: true });
});

async function node(id: string, seeds: readonly string[], extra: Partial<SessionConfig> = {}, store = new CountingStore()): Promise<{ session: Session; store: CountingStore }> {
  const session = await join(
    { clusterId: 'hydrate', nodeId: id, transport: 'ipc', listen: joinPath(dir, `${id}.sock`), seeds: seeds.map((s) => joinPath(dir, `${s}.sock`)), heartbeatIntervalMs: 200, joinTimeoutMs: 3000, ...extra },
    { log: () => undefined, blobStore: store },
  );
  sessions.push(session);
  return { session, store };
}

async function pair(extra: Partial<SessionConfig>): Promise<{ a: Session; b: Session; aStore: CountingStore }> {
  dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-hydrate-'));
  const { session: a, store: aStore } = await node('a', []);
  const { session: b } = await node('b', ['a'], extra);
  await waitFor('a and b connected', () => a.status().peerCount === 1 && b.status().peerCount === 1);
  return { a, b, aStore };
}

/** Writes a large value on `a` and waits until `b` holds its reference. */
async function writeLarge(a: Session, b: Session, path: string, size = 300_000): Promise<Uint8Array> {
  const bytes = new Uint8Array(randomBytes(size));
  a.setBytes(path, bytes, 'volume/u8');
  await a.flush();
  await waitFor(`${path} to reach b`, () => b.get(path) !== undefined);
  return bytes;
}

/** Writes a small value and waits for it: every write made before it has reached b by then. */
async function barrier(a: Session, b: Session, path: string): Promise<void> {
  a.set(path, 1);
  await waitFor(`${path} to reach b`, () => b.get(path) !== undefined);
}

describe('hydrate: lazy', () => {
  it('leaves a large value pending until fetch(path), which resolves with it', async () => {
    const { a, b } = await pair({ hydrate: 'lazy' });
    const bytes = await writeLarge(a, b, 'scene.volume');
    await barrier(a, b, 'scene.after');
    expect(b.get('scene.volume')?.pending).toBe(true);
    expect(b.status().pendingHydrations).toBe(0); // nothing is being fetched

    const value = await b.fetch('scene.volume');
    expect(value.pending).toBe(false);
    expect(Buffer.from(value.value as Uint8Array).equals(bytes)).toBe(true);
    expect(b.get('scene.volume')?.pending).toBe(false);
    // Already here: at once, the same value.
    expect((await b.fetch('scene.volume')).version).toEqual(value.version);
  });

  it('shares one fetch between concurrent callers: each chunk is read once on the serving side', async () => {
    const { a, b, aStore } = await pair({ hydrate: 'lazy' });
    const bytes = await writeLarge(a, b, 'scene.volume', 3_000_000);
    const ref = b.get('scene.volume')!.ref!;
    aStore.reads.clear();
    const results = await Promise.all([b.fetch('scene.volume'), b.fetch('scene.volume'), b.fetch('scene.volume')]);
    for (const result of results) expect(Buffer.from(result.value as Uint8Array).equals(bytes)).toBe(true);
    expect(aStore.reads.get(ref.digest)).toBe(1); // the value's manifest, asked for once
    expect([...aStore.reads.values()].every((n) => n === 1)).toBe(true);
  });

  it('cancels a caller with CANCELLED, keeps the fetch for the others, and stops it when nobody is left', async () => {
    const { a, b } = await pair({ hydrate: 'lazy' });
    const bytes = await writeLarge(a, b, 'scene.volume', 3_000_000);

    // Cancelled before anything arrived: the value stays pending, nothing is left running.
    const early = new AbortController();
    const first = b.fetch('scene.volume', { signal: early.signal });
    early.abort();
    await expect(first).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'CANCELLED'));
    expect(b.get('scene.volume')?.pending).toBe(true);
    await waitFor('no hydration left', () => b.status().pendingHydrations === 0);

    // One of two callers leaves: the other still gets the value.
    const leaving = new AbortController();
    const left = b.fetch('scene.volume', { signal: leaving.signal });
    const stays = b.fetch('scene.volume');
    leaving.abort();
    await expect(left).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'CANCELLED'));
    expect(Buffer.from((await stays).value as Uint8Array).equals(bytes)).toBe(true);

    // An aborted signal is refused at once.
    await expect(b.fetch('scene.other', { signal: AbortSignal.abort() })).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'CANCELLED'));
  });

  it('waitForData fetches a lazy value, including one that arrives later', async () => {
    const { a, b } = await pair({ hydrate: 'lazy' });
    const waiting = b.waitForData('scene.later', 10_000);
    const bytes = await writeLarge(a, b, 'scene.later');
    const value = await waiting;
    expect(Buffer.from(value.value as Uint8Array).equals(bytes)).toBe(true);
  });

  it('ends a waitForData under way with CLOSED when the session closes, its timer cleared', async () => {
    const { b } = await pair({ hydrate: 'lazy' });
    // The outcome is taken before close(), which rejects it: a rejection nobody holds yet would go unhandled.
    const outcome = b.waitForData('scene.never', 600_000).then(
      () => 'resolved',
      (error: unknown) => (isStatemeshError(error, 'CLOSED') ? 'CLOSED' : String(error)),
    );
    await b.close();
    expect(await outcome).toBe('CLOSED');
    await expect(b.waitForData('scene.never', 600_000)).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'CLOSED'));
  });

  it('rejects a fetch of nothing, of a bad path and after close', async () => {
    const { b } = await pair({ hydrate: 'lazy' });
    await expect(b.fetch('scene.nothing')).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'BLOB_NOT_FOUND'));
    await expect(b.fetch('bad..path')).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'INVALID_PATH'));
    await b.close();
    await expect(b.fetch('scene.x')).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'CLOSED'));
  });
});

describe('hydrate: eager and by prefix', () => {
  it('eager (the default) fetches every large value as it arrives', async () => {
    const { a, b } = await pair({});
    const bytes = await writeLarge(a, b, 'scene.volume');
    const value = await b.waitForData('scene.volume', 10_000);
    expect(Buffer.from(value.value as Uint8Array).equals(bytes)).toBe(true);
  });

  it('a list of prefixes fetches the values under them and leaves the rest pending', async () => {
    const { a, b } = await pair({ hydrate: ['scene.eager'] });
    const eager = await writeLarge(a, b, 'scene.eager.mesh');
    await writeLarge(a, b, 'scene.lazy.mesh');
    const value = await b.waitForData('scene.eager.mesh', 10_000);
    expect(Buffer.from(value.value as Uint8Array).equals(eager)).toBe(true);
    await barrier(a, b, 'scene.after');
    expect(b.get('scene.lazy.mesh')?.pending).toBe(true);
    expect(b.status().pendingHydrations).toBe(0);
  });

  it('refuses a bad policy with INVALID_CONFIG naming the field', async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-hydrate-'));
    for (const hydrate of ['sometimes', ['bad..prefix'], 3]) {
      await expect(node('x', [], { hydrate: hydrate as never })).rejects.toSatisfy(
        (error: unknown) => isStatemeshError(error, 'INVALID_CONFIG') && error.message.includes('config.hydrate'),
      );
    }
  });
});

describe('blobs by digest', () => {
  it('fetches a blob a peer put, verified, then serves it itself', async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-hydrate-'));
    const { session: a } = await node('a', []);
    const { session: b } = await node('b', ['a']);
    const { session: c } = await node('c', ['b']); // c knows only b
    await waitFor('b sees two peers', () => b.status().peerCount === 2);
    const bytes = new Uint8Array(randomBytes(100_000));
    const digest = await a.putBlob(bytes);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);

    expect(Buffer.from(await b.fetchBlob(digest)).equals(bytes)).toBe(true);
    expect(b.blobFetchStats()).toMatchObject({ fetched: 1, bytesFetched: 100_000, byPeer: { a: 1 } });
    // c reaches only b, which now holds it.
    expect(Buffer.from(await c.fetchBlob(digest)).equals(bytes)).toBe(true);
    expect(c.blobFetchStats().byPeer).toEqual({ b: 1 });
    // Here already: from the local store.
    await b.fetchBlob(digest);
    expect(b.blobFetchStats().local).toBe(1);
  });

  it('asks the askLast peers only after the others had no copy', async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-hydrate-'));
    const { session: a } = await node('a', []);
    const { session: b } = await node('b', ['a']);
    const { session: c } = await node('c', ['a', 'b']); // a triangle
    await waitFor('c sees two peers', () => c.status().peerCount === 2);
    const first = await a.putBlob(new Uint8Array(randomBytes(70_000)));
    const second = await a.putBlob(new Uint8Array(randomBytes(70_000)));
    await b.fetchBlob(first);
    await c.fetchBlob(first, { askLast: ['a'] }); // b has it: a is spared
    await c.fetchBlob(second, { askLast: ['a'] }); // b has not: a after all
    expect(c.blobFetchStats().byPeer).toEqual({ b: 1, a: 1 });
  });

  it('rejects an unknown digest, a malformed one, and a cancelled fetch', async () => {
    const { b } = await pair({ hydrate: 'lazy' });
    await expect(b.fetchBlob('0'.repeat(64))).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'CHUNK_NOT_FOUND'));
    await expect(b.fetchBlob('nope')).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'INVALID_ARGUMENT'));
    const controller = new AbortController();
    const fetching = b.fetchBlob('1'.repeat(64), { signal: controller.signal });
    controller.abort();
    await expect(fetching).rejects.toSatisfy((error: unknown) => isStatemeshError(error, 'CANCELLED'));
    expect(b.blobFetchStats().failures).toBe(1);
  });
});
