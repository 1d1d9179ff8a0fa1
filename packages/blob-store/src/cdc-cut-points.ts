import { StatemeshError } from '@statemesh/contracts';
import { MAX_CDC_AVERAGE, MIN_CDC_AVERAGE } from './chunk-limits.js';
import { GEAR_TABLE } from './gear-table.js';

/**
 * Content-defined cut points (FastCDC with normalized chunking, level 2): the end offset of every chunk of
 * `bytes`. Chunks are between `averageSize / 4` and `averageSize * 4` bytes (the last may be shorter) and
 * cluster around `averageSize`. A cut depends only on the bytes just before it, so an insert or delete moves
 * the cuts near the edit and no others.
 */
export function cdcCutPoints(bytes: Uint8Array, averageSize: number): number[] {
  checkAverage(averageSize);
  const ends: number[] = [];
  for (let start = 0; start < bytes.length; ) {
    start = nextCdcCut(bytes, start, averageSize);
    ends.push(start);
  }
  return ends;
}

/**
 * The end offset of the content-defined chunk that starts at `start` (the cuts of {@link cdcCutPoints}, one at a
 * time): a caller that chunks a large value can work one chunk at a time and let the event loop run in between.
 */
export function nextCdcCut(bytes: Uint8Array, start: number, averageSize: number): number {
  checkAverage(averageSize);
  const bits = Math.round(Math.log2(averageSize));
  // Normalized chunking: harder to cut before the average (more mask bits), easier after it (fewer).
  const maskHard = topBits(bits + 2);
  const maskEasy = topBits(bits - 2);
  const minSize = averageSize >>> 2;
  const maxSize = averageSize * 4;
  const length = bytes.length;
  const gear = GEAR_TABLE;
  const remaining = length - start;
  if (remaining <= minSize) return length;
  const end = start + (remaining < maxSize ? remaining : maxSize);
  const normal = start + (remaining < averageSize ? remaining : averageSize);
  let hash = 0;
  let i = start + minSize;
  for (; i < normal; i++) {
    hash = ((hash << 1) + gear[bytes[i]!]!) | 0;
    if ((hash & maskHard) === 0) return i + 1;
  }
  for (; i < end; i++) {
    hash = ((hash << 1) + gear[bytes[i]!]!) | 0;
    if ((hash & maskEasy) === 0) return i + 1;
  }
  return end;
}

/** Fixed-size cut points: every `chunkSize` bytes, the last chunk shorter. */
export function fixedCutPoints(length: number, chunkSize: number): number[] {
  const ends: number[] = [];
  for (let end = chunkSize; end < length + chunkSize; end += chunkSize) ends.push(Math.min(end, length));
  return ends;
}

function checkAverage(averageSize: number): void {
  if (!Number.isInteger(averageSize) || averageSize < MIN_CDC_AVERAGE || averageSize > MAX_CDC_AVERAGE) {
    throw new StatemeshError(
      'INVALID_ARGUMENT',
      `@statemesh/blob-store: content-defined chunking needs an integer average size in ${MIN_CDC_AVERAGE}-${MAX_CDC_AVERAGE}, got ${averageSize}`,
    );
  }
}

/** The `n` highest bits of a 32-bit word (the gear hash's high bits see the longest window of input). */
function topBits(n: number): number {
  return n >= 32 ? -1 : ~(-1 >>> n);
}
