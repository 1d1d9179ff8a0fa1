import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StatemeshError } from '@statemesh/contracts';

/** Where a node keeps the highest sequence number it has published (see {@link SequenceMark}). */
export interface SequenceStore {
  /** The highest sequence number recorded (0 for a new node). */
  readonly value: number;
  /** Records that sequence numbers up to `seq` are taken; must be durable when it returns. */
  raise(seq: number): void;
  close(): void;
}

/**
 * The highest sequence number this node has published, kept in a small file beside its blob store. A restarted
 * node resumes after it, so it never gives a new write a sequence number a peer may already hold for an old one.
 * The mark is raised before a batch leaves the process, so every write a peer could have acknowledged is below it.
 * It is written to the file at once (surviving a killed process) but not fsynced on each raise: a machine crash
 * may lose the last raises, as it loses the unsent writes they cover.
 */
export class SequenceMark implements SequenceStore {
  readonly #fd: number;
  readonly #buffer = Buffer.alloc(8);
  #value: number;

  private constructor(fd: number, value: number) {
    this.#fd = fd;
    this.#value = value;
  }

  /** Opens (creating it) the mark of `nodeId` in `dir`. */
  static open(dir: string, nodeId: string): SequenceMark {
    const file = join(dir, `statemesh-node-${nodeId}.seq`);
    try {
      const fd = openSync(file, 'a+');
      const buffer = Buffer.alloc(8);
      const read = readSync(fd, buffer, 0, 8, 0);
      const value = read === 8 ? Number(buffer.readBigUInt64LE(0)) : 0;
      closeSync(fd);
      return new SequenceMark(openSync(file, 'r+'), value);
    } catch (error) {
      throw new StatemeshError('IO_ERROR', `@statemesh/session: cannot open the sequence mark ${file}; check that blobStorePath is writable`, { cause: error });
    }
  }

  /** The highest sequence number recorded. */
  get value(): number {
    return this.#value;
  }

  /** Records that sequence numbers up to `seq` are taken. */
  raise(seq: number): void {
    if (seq <= this.#value) return;
    this.#value = seq;
    this.#buffer.writeBigUInt64LE(BigInt(seq), 0);
    writeSync(this.#fd, this.#buffer, 0, 8, 0);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
