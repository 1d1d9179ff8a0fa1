// The browser's `sha256.ts` (the package's `browser` field maps one to the other): the same functions on
// `@noble/hashes`, pure JavaScript and synchronous, where `node:crypto` does not exist.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Sha256 } from './sha256.js';

const encoder = new TextEncoder();

/** A new incremental SHA-256. */
export function createSha256(): Sha256 {
  const hash = sha256.create();
  const sha: Sha256 = {
    update(data) {
      hash.update(typeof data === 'string' ? encoder.encode(data) : data);
      return sha;
    },
    digestHex: () => bytesToHex(hash.digest()),
  };
  return sha;
}

/** SHA-256 of `bytes` as 64 lowercase hex characters: the address of a blob. */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}
