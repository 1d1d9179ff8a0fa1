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
  if (!Number.isInteger(averageSize) || averageSize < MIN_CDC_AVERAGE || averageSize > MAX_CDC_AVERAGE) {
    throw new StatemeshError(
      'INVALID_ARGUMENT',
      `@statemesh/blob-store: content-defined chunking needs an integer average size in ${MIN_CDC_AVERAGE}-${MAX_CDC_AVERAGE}, got ${averageSize}`,
    );
  }
  const bits = Math.round(Math.log2(averageSize));
  // Normalized chunking: harder to cut before the average (more mask bits), easier after it (fewer).
  const maskHard = topBits(bits + 2);
  const maskEasy = topBits(bits - 2);
  const minSize = averageSize >>> 2;
  const maxSize = averageSize * 4;
  const ends: number[] = [];
  const length = bytes.length;
  const gear = GEAR_TABLE;
  let start = 0;
  while (start < length) {
    const remaining = length - start;
    if (remaining <= minSize) {
      ends.push(length);
      break;
    }
    const end = start + (remaining < maxSize ? remaining : maxSize);
    const normal = start + (remaining < averageSize ? remaining : averageSize);
    let hash = 0;
    let i = start + minSize;
    let cut = 0;
    for (; i < normal; i++) {
      hash = ((hash << 1) + gear[bytes[i]!]!) | 0;
      if ((hash & maskHard) === 0) {
        cut = i + 1;
        break;
      }
    }
    if (cut === 0) {
      cut = end;
      for (; i < end; i++) {
        hash = ((hash << 1) + gear[bytes[i]!]!) | 0;
        if ((hash & maskEasy) === 0) {
          cut = i + 1;
          break;
        }
      }
    }
    ends.push(cut);
    start = cut;
  }
  return ends;
}

/** Fixed-size cut points: every `chunkSize` bytes, the last chunk shorter. */
export function fixedCutPoints(length: number, chunkSize: number): number[] {
  const ends: number[] = [];
  for (let end = chunkSize; end < length + chunkSize; end += chunkSize) ends.push(Math.min(end, length));
  return ends;
}

/** The `n` highest bits of a 32-bit word (the gear hash's high bits see the longest window of input). */
function topBits(n: number): number {
  return n >= 32 ? -1 : ~(-1 >>> n);
}
