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

/** Faults with every field present, as the network uses them. */
export interface ResolvedLinkFaults {
  readonly drop: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly delayMin: number;
  readonly delayMax: number;
  readonly reorderWindowMs: number;
}

/** No faults: a perfect link. */
export const NO_FAULTS: ResolvedLinkFaults = {
  drop: 0,
  duplicate: 0,
  reorder: 0,
  delayMin: 0,
  delayMax: 0,
  reorderWindowMs: 20,
};

function invalid(what: string, value: unknown): StatemeshError {
  return new StatemeshError(
    'INVALID_CONFIG',
    `@statemesh/transport-memory: faults.${what} is ${String(value)}; pass ${what === 'delayMs' ? 'a number ≥ 0 or [min, max] with 0 ≤ min ≤ max' : what === 'reorderWindowMs' ? 'a number ≥ 0' : 'a probability between 0 and 1'}`,
  );
}

function probability(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalid(name, value);
  return value;
}

/** Checks `faults` and fills what it leaves out from `base`; throws `INVALID_CONFIG` on a bad value. */
export function resolveLinkFaults(faults: LinkFaults, base: ResolvedLinkFaults = NO_FAULTS): ResolvedLinkFaults {
  let delayMin = base.delayMin;
  let delayMax = base.delayMax;
  const delay = faults.delayMs;
  if (delay !== undefined) {
    const [min, max] = typeof delay === 'number' ? [delay, delay] : [delay[0], delay[1]];
    if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) throw invalid('delayMs', delay);
    delayMin = min;
    delayMax = max;
  }
  const window = faults.reorderWindowMs ?? base.reorderWindowMs;
  if (!(Number.isFinite(window) && window >= 0)) throw invalid('reorderWindowMs', window);
  return {
    drop: probability('drop', faults.drop, base.drop),
    duplicate: probability('duplicate', faults.duplicate, base.duplicate),
    reorder: probability('reorder', faults.reorder, base.reorder),
    delayMin,
    delayMax,
    reorderWindowMs: window,
  };
}
