import { StatemeshError } from '@statemesh/contracts';

const PREFIX = '@statemesh/shard: ';

/**
 * The JSON text of `value`; throws `INVALID_ARGUMENT` for what JSON cannot represent rather than writing
 * something else: `NaN`, `Infinity`, a `bigint`, a cycle, `undefined` (at the top or in an array: JSON would
 * write `null`), a function or a symbol. An object property whose value is `undefined` is left out, as JSON does.
 */
export function jsonText(path: string, value: unknown): string {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, String(value));
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw notJson(path, typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`);
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw notJson(path, error instanceof TypeError && /circular/i.test(error.message) ? 'a cycle' : 'a bigint', error);
  }
  // A `null` in the text may be a value JSON wrote instead of NaN, Infinity or undefined: look for that one.
  if (text.includes('null')) findUnrepresentable(path, value, new Set());
  return text;
}

function findUnrepresentable(path: string, value: unknown, seen: Set<object>): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw notJson(path, String(value));
  if (typeof value !== 'object' || value === null) return;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') throw notJson(path, `${item === undefined ? 'undefined' : `a ${typeof item}`} in an array`);
      findUnrepresentable(path, item, seen);
    }
    return;
  }
  for (const key of Object.keys(value)) findUnrepresentable(path, (value as Record<string, unknown>)[key], seen);
}

function notJson(path: string, what: string, cause?: unknown): StatemeshError {
  return new StatemeshError('INVALID_ARGUMENT', `${PREFIX}set(${JSON.stringify(path)}) got ${what}, which JSON cannot represent; pass plain JSON data (finite numbers, strings, booleans, null, arrays, objects), or use setBytes for binary data`, { cause, details: { path } });
}
