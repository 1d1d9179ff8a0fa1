import { close, fdatasync, fsync, ftruncate, open, write } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendFile, Disk } from './disk.js';

/** A {@link Disk} over a real directory. */
export class NodeDisk implements Disk {
  readonly #dir: string;
  #locked = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  describe(name: string): string {
    return join(this.#dir, name);
  }

  async ensure(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  async list(): Promise<string[]> {
    return readdir(this.#dir);
  }

  async read(name: string): Promise<Uint8Array> {
    return readFile(join(this.#dir, name));
  }

  async append(name: string): Promise<AppendFile> {
    const fd = await call<number>((done) => open(join(this.#dir, name), 'a', 0o600, done));
    return new NodeAppendFile(fd);
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(join(this.#dir, from), join(this.#dir, to));
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.#dir, name), { force: true });
  }

  async lock(): Promise<void> {
    const file = join(this.#dir, LOCK);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        this.#locked = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) {
        throw Object.assign(new Error(`process ${pid} holds ${file}`), { holder: `process ${pid}` });
      }
      await rm(file, { force: true }); // left by a process that died
    }
    throw Object.assign(new Error(`cannot take ${file}`), { holder: 'another process' });
  }

  async unlock(): Promise<void> {
    if (!this.#locked) return;
    this.#locked = false;
    await rm(join(this.#dir, LOCK), { force: true });
  }

  async syncDirectory(): Promise<void> {
    const fd = await call<number>((done) => open(this.#dir, 'r', done));
    try {
      await call<void>((done) => fsync(fd, done));
    } finally {
      await call<void>((done) => close(fd, done));
    }
  }
}

class NodeAppendFile implements AppendFile {
  readonly #fd: number;

  constructor(fd: number) {
    this.#fd = fd;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const from = done;
      // The callback API rather than FileHandle: one less promise and object per write on the hot path.
      done += await call<number>((cb) => write(this.#fd, bytes, from, bytes.length - from, null, cb));
    }
  }

  sync(): Promise<void> {
    return call<void>((done) => fdatasync(this.#fd, done));
  }

  truncate(length: number): Promise<void> {
    return call<void>((done) => ftruncate(this.#fd, length, done));
  }

  close(): Promise<void> {
    return call<void>((done) => close(this.#fd, done));
  }
}

/** The lock file: the pid of the process whose store has the directory open. */
const LOCK = 'LOCK';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function call<T>(start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => (error ? reject(error) : resolve(value as T)));
  });
}
