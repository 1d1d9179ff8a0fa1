import { createHash } from 'node:crypto';

/** An incremental SHA-256: feed it bytes (or UTF-8 text), then read the digest once. */
export interface Sha256 {
  update(data: Uint8Array | string): Sha256;
  /** The digest as 64 lowercase hex characters. */
  digestHex(): string;
}

/**
 * A new incremental SHA-256, on `node:crypto` (OpenSSL). Browser bundles get `sha256.browser.ts` instead (the
 * package's `browser` field), so that no `node:` module is on their path.
 */
export function createSha256(): Sha256 {
  const hash = createHash('sha256');
  const sha: Sha256 = {
    update(data) {
      if (typeof data === 'string') hash.update(data, 'utf8');
      else hash.update(data);
      return sha;
    },
    digestHex: () => hash.digest('hex'),
  };
  return sha;
}

/** SHA-256 of `bytes` as 64 lowercase hex characters: the address of a blob. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
