export { type HybridTime, MAX_LOGICAL, MAX_WALL_MS, compare } from './hybrid-time.js';
export { pack, unpack } from './packed-form.js';
export { ENCODED_BYTES, decode, encode } from './binary-form.js';
export { format, parse } from './text-form.js';
export { DEFAULT_MAX_DRIFT_MS, HybridClock, type HybridClockOptions, REUSED_READINGS } from './hybrid-clock.js';
export { type ClockDriftDetails, ClockDriftError } from './clock-drift-error.js';
