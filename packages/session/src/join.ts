import { CodecRegistry, type BlobStore } from '@statemesh/contracts';
import { FileBlobStore, MemoryBlobStore } from '@statemesh/blob-store';
import { registerZstd } from '@statemesh/codec-zstd';
import { HybridClock } from '@statemesh/hlc';
import { Shard } from '@statemesh/shard';
import { resolveConfig, type SessionConfig } from './config.js';
import { SequenceMark } from './sequence-mark.js';
import { Session } from './session.js';
import { createTransport } from './transport-factory.js';

/** Options for `join()` that are not part of the cluster config. */
export interface JoinOptions {
  /** Where one-line warnings go (default `console.warn`). */
  readonly log?: ((line: string) => void) | undefined;
}

/**
 * Starts a node: validates `config` (an `INVALID_CONFIG` error names the field at fault), assembles the replica,
 * blob store, codecs, transport and hydrator, connects to the seeds and waits for the first catch-up.
 */
export async function join(config: SessionConfig, options: JoinOptions = {}): Promise<Session> {
  const resolved = resolveConfig(config);
  const log = options.log ?? ((line: string) => console.warn(line));
  const registry = registerZstd(CodecRegistry.withBuiltins());
  const blobStore: BlobStore = resolved.blobStorePath === undefined ? new MemoryBlobStore() : await FileBlobStore.open(resolved.blobStorePath);
  const sequenceMark = resolved.blobStorePath === undefined ? undefined : SequenceMark.open(resolved.blobStorePath, resolved.nodeId);
  const shard = new Shard({
    clusterId: resolved.clusterId,
    nodeId: resolved.nodeId,
    clock: new HybridClock(),
    partition: resolved.partition,
    enforcePartition: resolved.enforcePartition,
    interests: resolved.interests,
    resolveConflicts: resolved.resolveConflicts,
    blobStore,
    offload: { registry, codec: 'zstd', chunking: 'cdc' },
    maxInlinePayloadBytes: resolved.maxInlinePayloadBytes,
    logger: log,
  });
  if (sequenceMark !== undefined) shard.reserveSequence(sequenceMark.value);
  const transport = createTransport(resolved, registry);
  const session = new Session({ config: resolved, shard, transport, blobStore, registry, sequenceMark, log });
  try {
    await session.start();
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
  return session;
}
