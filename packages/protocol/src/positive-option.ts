import { StatemeshError } from '@statemesh/contracts';

/**
 * `value`, or `fallback` when it is undefined; throws `INVALID_CONFIG` (prefixed by `source`, the package) unless it
 * is a positive finite number. The option check of the engine and of every link that takes sizes and delays.
 */
export function positiveOption(source: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new StatemeshError('INVALID_CONFIG', `${source}: ${name} must be a positive number of ${name.endsWith('Bytes') ? 'bytes' : 'milliseconds'}, got ${String(value)}`);
  }
  return value;
}
