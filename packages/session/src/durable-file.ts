import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `text` as `<dir>/<name>` so that a crash leaves the old file or the new one, never a torn one: written
 * to a temporary file, fsynced, renamed over the old one, and the directory fsynced. Throws what `fs` throws.
 */
export function writeFileDurably(dir: string, name: string, text: string): void {
  const file = join(dir, name);
  const temp = `${file}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const folder = openSync(dir, 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}
