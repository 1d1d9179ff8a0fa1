import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Timers } from '@statemesh/contracts';
import { every } from '@statemesh/protocol';
import { writeFileDurably } from './durable-file.js';
import type { ReplicaJournal } from './replica-journal.js';

/**
 * Where a node with a `dataDir` had read the NATS medium's JetStream log up to: `<dataDir>/nats-cursor`, the
 * stream's name and sequence as JSON. Written (crash-safely) only once the entries the read delivered are on
 * disk, so a restart that reads the log after it misses nothing it had not stored.
 */
const FILE = 'nats-cursor';
/** The kept cursor is written at most this often while the node runs (and once more on close). */
const SAVE_INTERVAL_MS = 1_000;

/** The kept cursor of `stream`; 0 (read the whole log) when there is none, it is of another stream, or it is garbled. */
export function readLogCursor(dataDir: string, stream: string): number {
  try {
    const kept = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as { stream?: unknown; cursor?: unknown };
    return kept.stream === stream && Number.isSafeInteger(kept.cursor) && (kept.cursor as number) >= 0 ? (kept.cursor as number) : 0;
  } catch {
    return 0;
  }
}

/** Keeps `cursor` of `stream`; throws what `fs` throws. */
export function saveLogCursor(dataDir: string, stream: string, cursor: number): void {
  writeFileDurably(dataDir, FILE, `${JSON.stringify({ stream, cursor })}\n`);
}

/** What a {@link LogCursorKeeper} keeps, and where. */
export interface LogCursorKeeperOptions {
  readonly dataDir: string;
  readonly stream: string;
  /** The cursor in the file now (read at start). */
  readonly kept: number;
  /** Where the transport has handed the log to the session up to (`NatsTransport.logCursor`). */
  readonly cursor: () => number;
  readonly journal: ReplicaJournal;
  readonly timers: Timers;
  readonly log: (line: string) => void;
}

/**
 * Keeps the NATS log cursor of a running node in its `dataDir` as it moves: every {@link SAVE_INTERVAL_MS} (and
 * on close), the cursor the transport reached is taken, and written once the journal holds on disk every record
 * appended before (everything the session was handed up to that cursor). One write at a time, none when the
 * cursor did not move. A failure to write it only costs a longer read of the log next time.
 */
export class LogCursorKeeper {
  readonly #o: LogCursorKeeperOptions;
  #kept: number;
  #saving: Promise<void> | undefined;
  #stopTimer: (() => void) | undefined;
  #closed = false;

  constructor(options: LogCursorKeeperOptions) {
    this.#o = options;
    this.#kept = options.kept;
  }

  /** From now on the cursor is kept as it moves (the session started: the start's read is in the journal). */
  start(): void {
    if (this.#closed || this.#stopTimer !== undefined) return;
    this.#stopTimer = every(this.#o.timers, SAVE_INTERVAL_MS, () => void this.#save());
    void this.#save();
  }

  /**
   * Keeps the cursor once more and stops: called after the transport stopped handing batches over and before the
   * journal closes (it waits for the journal). Nothing is written if {@link start} was never called.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const started = this.#stopTimer !== undefined;
    this.#stopTimer?.();
    await this.#saving;
    if (started) await this.#save();
  }

  #save(): Promise<void> {
    if (this.#saving !== undefined) return this.#saving; // coalesced: the next tick takes the newer cursor
    const cursor = this.#o.cursor();
    if (cursor === this.#kept) return Promise.resolve();
    const { dataDir, stream, journal, log } = this.#o;
    this.#saving = journal
      .settled()
      .then(
        () => {
          try {
            saveLogCursor(dataDir, stream, cursor);
            this.#kept = cursor;
          } catch (error) {
            log(`@statemesh/session: could not keep the NATS log cursor in ${dataDir} (the next start reads the log from the cursor kept before): ${String(error)}`);
          }
        },
        () => undefined, // closed or failed: the journal says so itself
      )
      .finally(() => {
        this.#saving = undefined;
      });
    return this.#saving;
  }
}
