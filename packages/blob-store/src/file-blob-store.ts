import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StatemeshError, isDigest, type BlobStore } from '@statemesh/contracts';
import { readBlobInto, type BlobIntoReader } from './read-blob-into.js';
import { sha256Hex } from './sha256.js';

const SUBDIR = /^[0-9a-f]{2}$/;
const REST = /^[0-9a-f]{62}$/;
const TEMP_SUFFIX = '.tmp';

/**
 * A {@link BlobStore} on the filesystem: blob `abcd…` lives in `dir/ab/cd…`. A put writes a temporary file
 * beside its target, fsyncs it, renames it into place and fsyncs the directory, so a crash never leaves a partial
 * blob under its digest. `open` rebuilds the index from the directory and removes temporary files a crash left
 * behind; `get` re-hashes what it reads and refuses a blob whose bytes no longer match their digest.
 * One process at a time may use a directory.
 */
export class FileBlobStore implements BlobStore, BlobIntoReader {
  /** The store's root directory. */
  readonly dir: string;
  readonly #index: Set<string>;
  readonly #writing = new Map<string, Promise<void>>();
  readonly #madeDirs = new Set<string>();
  #closed = false;

  private constructor(dir: string, index: Set<string>, subdirs: Set<string>) {
    this.dir = dir;
    this.#index = index;
    for (const sub of subdirs) this.#madeDirs.add(sub);
  }

  /** Opens (creating it if needed) the store in `dir`, rebuilding its index and removing leftover temporary files. */
  static async open(dir: string): Promise<FileBlobStore> {
    if (typeof dir !== 'string' || dir === '') {
      throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/blob-store: FileBlobStore.open needs a directory path');
    }
    const index = new Set<string>();
    const subdirs = new Set<string>();
    try {
      await mkdir(dir, { recursive: true });
      for (const sub of await readdir(dir, { withFileTypes: true })) {
        if (!sub.isDirectory() || !SUBDIR.test(sub.name)) continue;
        subdirs.add(sub.name);
        for (const file of await readdir(join(dir, sub.name), { withFileTypes: true })) {
          if (!file.isFile()) continue;
          if (REST.test(file.name)) index.add(sub.name + file.name);
          else if (file.name.endsWith(TEMP_SUFFIX)) await rm(join(dir, sub.name, file.name), { force: true });
        }
      }
      // All 256 fan-out directories up front, made durable by one fsync: a put then never waits on a mkdir.
      const missing = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).filter((sub) => !subdirs.has(sub));
      if (missing.length > 0) {
        await Promise.all(missing.map((sub) => mkdir(join(dir, sub), { recursive: true })));
        await syncDirectory(dir);
        for (const sub of missing) subdirs.add(sub);
      }
    } catch (error) {
      throw ioError(`cannot open the blob store in ${dir}`, error);
    }
    return new FileBlobStore(dir, index, subdirs);
  }

  /** Where the blob `digest` lives (whether or not it is stored). */
  pathOf(digest: string): string {
    return join(this.dir, digest.slice(0, 2), digest.slice(2));
  }

  /** Stores `bytes` durably (a no-op when already present) and returns their SHA-256 digest. */
  async put(bytes: Uint8Array): Promise<string> {
    this.#assertOpen();
    if (!(bytes instanceof Uint8Array)) {
      throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/blob-store: put() takes a Uint8Array; encode strings with TextEncoder first');
    }
    const digest = sha256Hex(bytes);
    if (this.#index.has(digest)) return digest;
    let writing = this.#writing.get(digest);
    if (writing === undefined) {
      writing = this.#write(digest, bytes).finally(() => this.#writing.delete(digest));
      this.#writing.set(digest, writing);
    }
    await writing;
    return digest;
  }

  /** The blob stored under `digest`, re-hashed on read; throws `CHUNK_DIGEST_MISMATCH` (and drops it) if corrupt. */
  async get(digest: string): Promise<Uint8Array | undefined> {
    this.#assertOpen();
    if (!this.#index.has(digest)) return undefined;
    let bytes: Uint8Array;
    try {
      const buffer = await readFile(this.pathOf(digest));
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength); // a plain Uint8Array, not a Buffer
    } catch (error) {
      if (isNotFound(error)) {
        this.#index.delete(digest);
        return undefined;
      }
      throw ioError(`cannot read blob ${digest}`, error);
    }
    const actual = sha256Hex(bytes);
    if (actual !== digest) {
      // A corrupt blob is removed so that it reads as missing and is fetched again, never served.
      this.#index.delete(digest);
      await unlink(this.pathOf(digest)).catch(() => undefined);
      throw new StatemeshError(
        'CHUNK_DIGEST_MISMATCH',
        `@statemesh/blob-store: blob ${digest} on disk hashes to ${actual}: the file was corrupted and has been removed; fetch the blob again`,
        { details: { digest, actual, path: this.pathOf(digest) } },
      );
    }
    return bytes;
  }

  /** True when a blob with this digest is stored. */
  async has(digest: string): Promise<boolean> {
    this.#assertOpen();
    return this.#index.has(digest);
  }

  /** Removes a blob; true when it was there. */
  async delete(digest: string): Promise<boolean> {
    this.#assertOpen();
    if (!isDigest(digest)) return false;
    await this.#writing.get(digest);
    const had = this.#index.delete(digest);
    try {
      await unlink(this.pathOf(digest));
    } catch (error) {
      if (!isNotFound(error)) throw ioError(`cannot delete blob ${digest}`, error);
    }
    return had;
  }

  /** Number of blobs stored. */
  async size(): Promise<number> {
    this.#assertOpen();
    return this.#index.size;
  }

  /** Every stored digest, as of the call. */
  async *digests(): AsyncIterable<string> {
    this.#assertOpen();
    yield* Array.from(this.#index); // a snapshot: puts and deletes during iteration do not disturb it
  }

  /** Internal: reads the blob into `target`, unverified, when it is stored and exactly that long. */
  async [readBlobInto](digest: string, target: Uint8Array): Promise<boolean> {
    this.#assertOpen();
    if (!this.#index.has(digest)) return false;
    let handle;
    try {
      handle = await open(this.pathOf(digest), 'r');
    } catch (error) {
      if (!isNotFound(error)) throw ioError(`cannot read blob ${digest}`, error);
      this.#index.delete(digest);
      return false;
    }
    try {
      if ((await handle.stat()).size !== target.length) return false;
      let read = 0;
      while (read < target.length) {
        const { bytesRead } = await handle.read(target, read, target.length - read, read);
        if (bytesRead === 0) return false;
        read += bytesRead;
      }
      return true;
    } catch (error) {
      throw ioError(`cannot read blob ${digest}`, error);
    } finally {
      await handle.close();
    }
  }

  /** Waits for writes in flight, then refuses further use. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#writing.values());
  }

  async #write(digest: string, bytes: Uint8Array): Promise<void> {
    const sub = digest.slice(0, 2);
    const subdir = join(this.dir, sub);
    const target = join(subdir, digest.slice(2));
    const temp = join(subdir, `${digest.slice(2)}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    try {
      if (!this.#madeDirs.has(sub)) {
        await mkdir(subdir, { recursive: true });
        await syncDirectory(this.dir);
        this.#madeDirs.add(sub);
      }
      const handle = await open(temp, 'wx');
      try {
        let written = 0;
        while (written < bytes.byteLength) {
          const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written);
          written += bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      await syncDirectory(subdir);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw ioError(`cannot write blob ${digest}`, error);
    }
    this.#index.add(digest);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new StatemeshError('CLOSED', `@statemesh/blob-store: the file blob store in ${this.dir} is closed; open it again`);
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

function ioError(what: string, cause: unknown): StatemeshError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StatemeshError('IO_ERROR', `@statemesh/blob-store: ${what}: ${reason}; check the directory's permissions and free space`, { cause });
}
