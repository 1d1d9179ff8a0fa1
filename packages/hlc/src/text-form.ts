import { type HybridTime, MAX_LOGICAL, MAX_WALL_MS, assertHybridTime, show } from './hybrid-time.js';

const WALL_DIGITS = 15; // 2^48 - 1 = 281474976710655
const LOGICAL_DIGITS = 5; // 2^16 - 1 = 65535
const TEXT = /^(\d{15})-(\d{5})$/;

/**
 * The fixed-width text form `WWWWWWWWWWWWWWW-LLLLL`: wall milliseconds in 15 decimal digits, a dash, the logical
 * counter in 5 digits. Strings compare (`<`, `sort()`) like the times they stand for.
 */
export function format(t: HybridTime): string {
  assertHybridTime(t, 'format(t): t');
  return `${String(t.wallMs).padStart(WALL_DIGITS, '0')}-${String(t.logical).padStart(LOGICAL_DIGITS, '0')}`;
}

/** The inverse of {@link format}: throws RangeError for any other string. */
export function parse(text: string): HybridTime {
  if (typeof text !== 'string') throw new TypeError(`@statemesh/hlc: parse(text) takes a string, got ${show(text)}`);
  const match = TEXT.exec(text);
  if (match === null) {
    throw new RangeError(
      `@statemesh/hlc: parse(text) takes the form of format(), 15 digits, '-', 5 digits (e.g. "001764010105123-00000"), got ${show(text)}`,
    );
  }
  const wallMs = Number(match[1]);
  const logical = Number(match[2]);
  if (wallMs > MAX_WALL_MS || logical > MAX_LOGICAL) {
    throw new RangeError(
      `@statemesh/hlc: parse(text): ${show(text)} is beyond the range of a HybridTime (wall <= ${MAX_WALL_MS}, logical <= ${MAX_LOGICAL})`,
    );
  }
  return { wallMs, logical };
}
