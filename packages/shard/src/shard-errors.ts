import { StatemeshError } from '@statemesh/contracts';

const PREFIX = '@statemesh/shard: ';

// The errors a shard throws for bad arguments and options, each with its stable code and what to do.

/** `INVALID_CONFIG` for a bad option. */
export function config(message: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `${PREFIX}${message}`);
}

/** `INVALID_ID` for a bad node, cluster or peer id. */
export function invalidId(label: string, id: unknown): StatemeshError {
  return new StatemeshError('INVALID_ID', `${PREFIX}${label} ${JSON.stringify(id)} is not a valid id: use 1-64 characters of [A-Za-z0-9_-]`, { details: { [label]: id } });
}

/** `INVALID_PATH` for a path that is not valid here. */
export function invalidPath(path: unknown): StatemeshError {
  return new StatemeshError('INVALID_PATH', `${PREFIX}${JSON.stringify(path)} is not a valid path here: use dot-separated segments of 1-128 characters [A-Za-z0-9_-], at most 1024 bytes (the root "" can be deleted, not set)`, { details: { path } });
}

/** `INVALID_TYPE` for a bad value type. */
export function invalidType(type: unknown): StatemeshError {
  return new StatemeshError('INVALID_TYPE', `${PREFIX}type ${JSON.stringify(type)} is not a valid value type: use 1-128 characters of [A-Za-z0-9_.+/-] starting with a letter or digit (e.g. "bytes", "volume/f32")`, { details: { type } });
}
