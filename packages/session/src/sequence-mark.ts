import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StatemeshError } from '@statemesh/contracts';

/**
 * Where a node keeps its incarnation and the highest sequence number it has published in it (see
 * {@link SequenceMark}; the durable replica store will be another). docs/adr/0004-no-reused-sequence.md.
 */
export interface SequenceStore {
  /** The highest sequence number recorded (0 for a new store). */
  readonly value: number;
  /**
   * The incarnation `value` belongs to: `''` for the plain node id, undefined when the store holds none yet. A
   * store without this property (and without `begin`) is trusted to have kept `value` for the plain node id.
   */
  readonly incarnation?: string | undefined;
  /** Starts a new incarnation: records it with sequence 0; durable when it returns. */
  begin?(incarnation: string): void;
  /** Records that sequence numbers up to `seq` are taken; must be durable when it returns. */
  raise(seq: number): void;
  close(): void;
}

const SEQ_BYTES = 8;
const INCARNATION_BYTES = 16;
const INCARNATION = /^[0-9a-z]{1,16}$/;

/**
 * The incarnation and highest published sequence number of a node, kept in a small file beside its blob store
 * (8 bytes little-endian seq, then up to 16 bytes of incarnation; a file of 8 bytes is an older mark for the
 * plain node id). The mark is raised before a batch leaves the process, so every write a peer could have
 * acknowledged is below it. It is written at once (surviving a killed process) but not fsynced on each raise: a
 * machine crash may lose the last raises, as it loses the unsent writes they cover.
 */
export class SequenceMark implements SequenceStore {
  readonly #fd: number;
  readonly #buffer = Buffer.alloc(SEQ_BYTES);
  #value: number;
  #incarnation: string | undefined;

  private constructor(fd: number, value: number, incarnation: string | undefined) {
    this.#fd = fd;
    this.#value = value;
    this.#incarnation = incarnation;
  }

  /**
   * Opens (creating it) the mark of `nodeId` in `dir`. A mark that cannot be read as a sequence and incarnation
   * opens as an empty one (`incarnation` undefined): the node then starts a new incarnation rather than failing.
   */
  static open(dir: string, nodeId: string): SequenceMark {
    const file = join(dir, `statemesh-node-${nodeId}.seq`);
    try {
      const fd = openSync(file, 'a+');
      const buffer = Buffer.alloc(SEQ_BYTES + INCARNATION_BYTES + 1);
      const read = readSync(fd, buffer, 0, buffer.length, 0);
      closeSync(fd);
      const [value, incarnation] = parseMark(buffer.subarray(0, read));
      return new SequenceMark(openSync(file, 'r+'), value, incarnation);
    } catch (error) {
      throw new StatemeshError('IO_ERROR', `@statemesh/session: cannot open the sequence mark ${file}; check that blobStorePath is writable`, { cause: error });
    }
  }

  /** The highest sequence number recorded. */
  get value(): number {
    return this.#value;
  }

  /** The incarnation recorded (`''`: the plain node id; undefined: none yet). */
  get incarnation(): string | undefined {
    return this.#incarnation;
  }

  /** Records a new incarnation with sequence 0. */
  begin(incarnation: string): void {
    if (!INCARNATION.test(incarnation)) throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/session: incarnation ${JSON.stringify(incarnation)} is not 1-16 characters of [0-9a-z]`);
    const record = Buffer.alloc(SEQ_BYTES + INCARNATION_BYTES);
    record.write(incarnation, SEQ_BYTES, 'latin1');
    writeSync(this.#fd, record, 0, record.length, 0);
    this.#value = 0;
    this.#incarnation = incarnation;
  }

  /** Records that sequence numbers up to `seq` are taken (a value that is not a usable sequence is ignored). */
  raise(seq: number): void {
    if (!isUsableSequence(seq) || seq <= this.#value) return;
    this.#value = seq;
    this.#buffer.writeBigUInt64LE(BigInt(seq), 0);
    writeSync(this.#fd, this.#buffer, 0, SEQ_BYTES, 0);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Sequence numbers a node can go on from: non-negative integers far below 2^53. */
export function isUsableSequence(seq: unknown): seq is number {
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 && seq <= Number.MAX_SAFE_INTEGER / 2;
}

function parseMark(bytes: Buffer): [number, string | undefined] {
  if (bytes.length < SEQ_BYTES) return [0, undefined];
  const value = Number(bytes.readBigUInt64LE(0));
  if (!isUsableSequence(value)) return [0, undefined];
  if (bytes.length === SEQ_BYTES) return [value, ''];
  const tail = bytes.subarray(SEQ_BYTES, SEQ_BYTES + INCARNATION_BYTES);
  const end = tail.indexOf(0);
  const incarnation = tail.subarray(0, end === -1 ? tail.length : end).toString('latin1');
  if (bytes.length > SEQ_BYTES + INCARNATION_BYTES || !INCARNATION.test(incarnation)) return [0, undefined];
  return [value, incarnation];
}
