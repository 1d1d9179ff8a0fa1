import { createSha256 } from '@statemesh/blob-store';
import type { PathTree } from './path-tree.js';
import { heldPayload, utf8ByteLength } from './value-decode.js';

/**
 * SHA-256 (hex) of every value of `tree` with its path, version, type and payload (a blob by its reference), in
 * path order. Tombstones are left out: they change nothing visible.
 */
export function digestOf(tree: PathTree): string {
  const hash = createSha256();
  tree.forEachUnder('', (path, record) => {
    if (record.type === '') return;
    hash.update(`${path}\0${record.hlc}\0${record.origin}\0${record.seq}\0${record.type}\0`);
    const payload = heldPayload(record.payload);
    if (typeof payload === 'string') {
      hash.update(`i${utf8ByteLength(payload)}:`);
      hash.update(payload);
    } else if (payload instanceof Uint8Array) {
      hash.update(`i${payload.byteLength}:`);
      hash.update(payload);
    } else {
      hash.update(`r${payload.digest}:${payload.size}:${payload.codec}`);
    }
    hash.update('\n');
  });
  return hash.digestHex();
}
