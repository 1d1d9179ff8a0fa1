import { StatemeshError } from '@statemesh/contracts';

/**
 * Faults a {@link MemoryNetwork} injects on a link (or on every link). Drop, duplicate and reorder apply to
 * mutation batches only, which replication must tolerate; delay applies to every frame. Control frames
 * (Hello, heartbeats, requests and their answers) keep their order, as on a stream socket.
 */
export interface LinkFaults {
  /** Probability that a mutation batch is lost (0..1). */
  readonly drop?: number;
  /** Probability that a mutation batch is delivered twice (0..1). */
  readonly duplicate?: number;
  /** Probability that a mutation batch is held back so that later frames overtake it (0..1). */
  readonly reorder?: number;
  /** Delay of every frame in milliseconds: a fixed value or a uniform `[min, max]` range. Default 0. */
  readonly delayMs?: number | readonly [number, number];
  /** How long a reordered batch is held back at most, beyond its delay (default 20 ms). */
  readonly reorderWindowMs?: number;
}

/** Faults with every field present, as the network uses them: the delay as its `[min, max]` range. */
export type ResolvedLinkFaults = Required<Omit<LinkFaults, 'delayMs'>> & { readonly delayMs: readonly [number, number] };

/** No faults: a perfect link. */
export const NO_FAULTS: ResolvedLinkFaults = { drop: 0, duplicate: 0, reorder: 0, delayMs: [0, 0], reorderWindowMs: 20 };

function invalid(what: string, value: unknown, expected: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `@statemesh/transport-memory: faults.${what} is ${String(value)}; pass ${expected}`);
}

/** Checks `faults` and fills what it leaves out from `base`; throws `INVALID_CONFIG` on a bad value. */
export function resolveLinkFaults(faults: LinkFaults, base: ResolvedLinkFaults = NO_FAULTS): ResolvedLinkFaults {
  for (const name of ['drop', 'duplicate', 'reorder'] as const) {
    const p = faults[name];
    if (p !== undefined && !(typeof p === 'number' && p >= 0 && p <= 1)) throw invalid(name, p, 'a probability between 0 and 1');
  }
  const delay = faults.delayMs;
  const delayMs = typeof delay === 'number' ? ([delay, delay] as const) : (delay ?? base.delayMs);
  if (!(Number.isFinite(delayMs[0]) && Number.isFinite(delayMs[1]) && delayMs[0] >= 0 && delayMs[1] >= delayMs[0])) {
    throw invalid('delayMs', delay, 'a number ≥ 0 or [min, max] with 0 ≤ min ≤ max');
  }
  const window = faults.reorderWindowMs ?? base.reorderWindowMs;
  if (!(Number.isFinite(window) && window >= 0)) throw invalid('reorderWindowMs', window, 'a number ≥ 0');
  const { drop = base.drop, duplicate = base.duplicate, reorder = base.reorder } = faults;
  return { drop, duplicate, reorder, delayMs: [delayMs[0], delayMs[1]], reorderWindowMs: window };
}
