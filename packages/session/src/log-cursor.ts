import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';

/**
 * Where a node with a `dataDir` had read the NATS medium's JetStream log up to: `<dataDir>/nats-cursor`, the
 * stream's name and sequence as JSON. Written (crash-safely) only once the entries the read delivered are on
 * disk, so a restart that reads the log after it misses nothing it had not stored.
 */
const FILE = 'nats-cursor';

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
