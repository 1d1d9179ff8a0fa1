// Test support: sessions over real Unix sockets in a temporary folder, with blob stores that count reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { MemoryBlobStore } from '@statemesh/blob-store';
import { SeededRandom } from '@statemesh/contracts/testing';
import { join, type Session, type SessionConfig } from '@statemesh/session';

/** A memory blob store that counts the reads of each digest: a peer's chunk request is one. */
export class CountingStore extends MemoryBlobStore {
  readonly reads = new Map<string, number>();
  override get(digest: string): Promise<Uint8Array | undefined> {
    this.reads.set(digest, (this.reads.get(digest) ?? 0) + 1);
    return super.get(digest);
  }
}

export interface Nodes {
  start(id: string, seeds?: readonly string[], extra?: Partial<SessionConfig>, store?: CountingStore): Promise<{ session: Session; store: CountingStore }>;
  close(): Promise<void>;
}

export function nodes(clusterId = 'volume'): Nodes {
  const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-volume-'));
  const sessions: Session[] = [];
  const socket = (id: string) => joinPath(dir, `${id}.sock`);
  return {
    async start(id, seeds = [], extra = {}, store = new CountingStore()) {
      const session = await join(
        { clusterId, nodeId: id, transport: 'ipc', listen: socket(id), seeds: seeds.map(socket), heartbeatIntervalMs: 200, joinTimeoutMs: 3000, ...extra },
        { log: () => undefined, blobStore: store },
      );
      sessions.push(session);
      return { session, store };
    },
    async close() {
      await Promise.all(sessions.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Voxels that differ from brick to brick: a deterministic pseudo-random fill from the shared seeded generator. */
export function noise(count: number, Kind: Uint8ArrayConstructor | Uint16ArrayConstructor = Uint16Array, seed = 1): Uint8Array | Uint16Array {
  const random = new SeededRandom(seed);
  const out = new Kind(count);
  const values = 2 ** (8 * Kind.BYTES_PER_ELEMENT);
  for (let i = 0; i < count; i++) out[i] = Math.floor(random.next() * values);
  return out;
}
