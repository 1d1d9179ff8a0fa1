// Test support: the parts of a session a volume uses, in memory, with a hook to fail blob fetches.
import { createHash } from 'node:crypto';
import type { VolumeSession, VolumeValue } from '@statemesh/volume';

/** The parts of a session putVolume uses, in memory. */
export function memorySession(): VolumeSession & { blobs: Map<string, Uint8Array>; values: Map<string, VolumeValue>; failNext: Error[] } {
  const blobs = new Map<string, Uint8Array>();
  const values = new Map<string, VolumeValue>();
  const failNext: Error[] = [];
  let seq = 0;
  return {
    blobs,
    values,
    failNext,
    setBytes(path, bytes, type = 'bytes') {
      values.set(path, { type, bytes, pending: false, version: { hlc: 0n, origin: 'm', seq: ++seq } });
    },
    get: (path) => values.get(path),
    fetch: async (path) => values.get(path)!,
    watch: () => () => undefined,
    async putBlob(bytes) {
      const digest = createHash('sha256').update(bytes).digest('hex');
      blobs.set(digest, bytes.slice());
      return digest;
    },
    async fetchBlob(digest) {
      const failure = failNext.shift();
      if (failure !== undefined) throw failure;
      return blobs.get(digest)!;
    },
  };
}

