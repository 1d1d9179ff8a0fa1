import { SeededRandom } from '@statemesh/contracts/testing/seeded-random';
import type { AppendFile, Disk } from './disk.js';

/** Options of {@link MemoryDisk}. */
export interface MemoryDiskOptions {
  /** Seed of the torn writes `crash({ tear: true })` makes (default 1). */
  readonly seed?: number;
  /** Total bytes the disk holds; a write past it fails with `ENOSPC` after writing what fits. Default: unbounded. */
  readonly capacityBytes?: number;
}

interface MemoryFile {
  data: Uint8Array;
  length: number;
  /** Bytes that survive a crash (`sync` raises it to `length`). */
  synced: number;
}

/**
 * A {@link Disk} in memory, for simulators: written bytes survive a process crash only once synced, as a page
 * cache would lose them. `crash()` drops every unsynced byte (or, with `tear`, keeps a seeded random part of
 * them: a torn write), and handles opened before it stop working. Creations, renames and removals are durable at
 * once. Deterministic for a seed.
 */
export class MemoryDisk implements Disk {
  /** Bytes the disk holds in all; writes past it fail with `ENOSPC`. Settable, to fill the disk mid-test. */
  capacityBytes: number;
  readonly #files = new Map<string, MemoryFile>();
  readonly #random: SeededRandom;
  #generation = 0;
  /** The generation whose store holds the disk; a crash (a new generation) releases it. */
  #lockedBy: number | undefined;

  constructor(options: MemoryDiskOptions = {}) {
    this.capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.#random = new SeededRandom(options.seed ?? 1);
  }

  /** Every process using this disk dies now: unsynced bytes are lost (with `tear`, a random prefix of them stays). */
  crash(options: { readonly tear?: boolean } = {}): void {
    this.#generation++;
    for (const file of this.#files.values()) {
      const unsynced = file.length - file.synced;
      const kept = options.tear === true && unsynced > 0 ? Math.floor(this.#random.next() * (unsynced + 1)) : 0;
      file.length = file.synced + kept;
      file.synced = file.length;
    }
  }

  /** Bytes stored in all files. */
  usedBytes(): number {
    let total = 0;
    for (const file of this.#files.values()) total += file.length;
    return total;
  }

  /** A copy of the file's bytes as written (synced or not), or undefined. */
  file(name: string): Uint8Array | undefined {
    const file = this.#files.get(name);
    return file === undefined ? undefined : file.data.slice(0, file.length);
  }

  /** Replaces a file's bytes (durably): to tear or corrupt it in a test. */
  setFile(name: string, bytes: Uint8Array): void {
    this.#files.set(name, { data: bytes.slice(), length: bytes.length, synced: bytes.length });
  }

  describe(name: string): string {
    return `memory:${name}`;
  }

  async ensure(): Promise<void> {}

  async list(): Promise<string[]> {
    return [...this.#files.keys()];
  }

  async read(name: string): Promise<Uint8Array> {
    const file = this.#files.get(name);
    if (file === undefined) throw fsError('ENOENT', `no such file ${name}`);
    return file.data.slice(0, file.length);
  }

  async append(name: string): Promise<AppendFile> {
    let file = this.#files.get(name);
    if (file === undefined) {
      file = { data: new Uint8Array(256), length: 0, synced: 0 };
      this.#files.set(name, file);
    }
    return new MemoryAppendFile(this, name, this.#generation);
  }

  async rename(from: string, to: string): Promise<void> {
    const file = this.#files.get(from);
    if (file === undefined) throw fsError('ENOENT', `no such file ${from}`);
    this.#files.delete(from);
    this.#files.set(to, file);
  }

  async remove(name: string): Promise<void> {
    this.#files.delete(name);
  }

  async syncDirectory(): Promise<void> {}

  async lock(): Promise<void> {
    if (this.#lockedBy === this.#generation) throw Object.assign(new Error('the memory disk is in use by another store'), { holder: 'another store on this disk' });
    this.#lockedBy = this.#generation;
  }

  async unlock(): Promise<void> {
    this.#lockedBy = undefined;
  }

  /** @internal The file behind a handle of generation `generation`; throws once the disk crashed since. */
  fileOf(name: string, generation: number): MemoryFile {
    if (generation !== this.#generation) throw fsError('EIO', 'the disk crashed since this file was opened');
    const file = this.#files.get(name);
    if (file === undefined) throw fsError('ENOENT', `no such file ${name}`);
    return file;
  }
}

class MemoryAppendFile implements AppendFile {
  readonly #disk: MemoryDisk;
  readonly #name: string;
  readonly #generation: number;

  constructor(disk: MemoryDisk, name: string, generation: number) {
    this.#disk = disk;
    this.#name = name;
    this.#generation = generation;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const file = this.#disk.fileOf(this.#name, this.#generation);
    const room = this.#disk.capacityBytes - this.#disk.usedBytes();
    const fits = Math.max(0, Math.min(bytes.length, room));
    if (file.length + fits > file.data.length) {
      const grown = new Uint8Array(Math.max(file.data.length * 2, file.length + fits));
      grown.set(file.data.subarray(0, file.length));
      file.data = grown;
    }
    file.data.set(bytes.subarray(0, fits), file.length);
    file.length += fits;
    if (fits < bytes.length) throw fsError('ENOSPC', 'no space left on device');
  }

  async sync(): Promise<void> {
    this.#disk.fileOf(this.#name, this.#generation);
    // A sync takes a turn of the event loop, as a real disk's does: a crash can come between a write and its sync.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const file = this.#disk.fileOf(this.#name, this.#generation);
    file.synced = file.length;
  }

  async truncate(length: number): Promise<void> {
    const file = this.#disk.fileOf(this.#name, this.#generation);
    file.length = Math.min(file.length, length);
    file.synced = Math.min(file.synced, file.length);
  }

  async close(): Promise<void> {}
}

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
