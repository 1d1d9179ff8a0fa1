// The properties of a hybrid logical clock (Kulkarni et al., 2014), checked over arbitrary event sequences and
// arbitrary physical clocks, including clocks that jump backwards.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockDriftError, HybridClock, type HybridTime, MAX_LOGICAL, compare, format, pack } from '@statemesh/hlc';

const RUNS = 1000;

type Step =
  | { readonly op: 'now'; readonly jump: number }
  | { readonly op: 'update'; readonly jump: number; readonly offset: number; readonly logical: number };

// Physical clock moves between events: often not at all, often a little, sometimes far, in either direction.
const jump = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 5 }) },
  { weight: 2, arbitrary: fc.integer({ min: -100_000, max: 100_000 }) },
);
// A remote time relative to the local physical clock, around and across the drift bound.
const step = (maxDriftMs: number): fc.Arbitrary<Step> =>
  fc.oneof(
    fc.record({ op: fc.constant('now' as const), jump }),
    fc.record({
      op: fc.constant('update' as const),
      jump,
      offset: fc.oneof(
        fc.integer({ min: -2 * maxDriftMs - 10, max: 2 * maxDriftMs + 10 }),
        fc.constantFrom(0, -1, 1, maxDriftMs, maxDriftMs + 1),
      ),
      logical: fc.oneof(fc.integer({ min: 0, max: MAX_LOGICAL }), fc.constantFrom(0, MAX_LOGICAL - 1, MAX_LOGICAL)),
    }),
  );
const scenario = fc
  .record({
    start: fc.oneof(fc.integer({ min: 0, max: 2 ** 46 }), fc.constant(1_764_010_105_123)),
    maxDriftMs: fc.oneof(fc.constantFrom(0, 1, 60_000), fc.integer({ min: 0, max: 200_000 })),
  })
  .chain(({ start, maxDriftMs }) =>
    fc.record({ start: fc.constant(start), maxDriftMs: fc.constant(maxDriftMs), steps: fc.array(step(maxDriftMs), { maxLength: 120 }) }),
  );

interface Event {
  readonly step: Step;
  readonly physicalMs: number;
  readonly before: HybridTime;
  readonly remote?: HybridTime;
  readonly result?: HybridTime;
  readonly error?: unknown;
}

/** Runs a scenario on a fresh clock; `check` returns a description of what is wrong with an event, if anything. */
function violations(
  { start, maxDriftMs, steps }: { start: number; maxDriftMs: number; steps: readonly Step[] },
  check: (event: Event) => string | undefined,
): string[] {
  const found: string[] = [];
  const note = (problem: string | undefined) => {
    if (problem !== undefined) found.push(problem);
  };
  let physicalMs = start;
  const clock = new HybridClock({ now: () => physicalMs, maxDriftMs });
  for (const s of steps) {
    physicalMs = Math.max(0, physicalMs + s.jump);
    const before = clock.current();
    if (s.op === 'now') {
      note(check({ step: s, physicalMs, before, result: clock.now() }));
      continue;
    }
    const remote = { wallMs: Math.max(0, physicalMs + s.offset), logical: s.logical };
    let result: HybridTime;
    try {
      result = clock.update(remote);
    } catch (error) {
      if (!(error instanceof ClockDriftError)) throw error;
      note(check({ step: s, physicalMs, before, remote, error }));
      if (compare(clock.current(), before) !== 0) note(`a refused update changed the clock from ${format(before)}`);
      continue;
    }
    note(check({ step: s, physicalMs, before, remote, result }));
  }
  return found;
}

describe('HybridClock properties', () => {
  it('is strictly monotonic across any sequence of now/update, whatever the physical clock does', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        let last: HybridTime | undefined;
        const problems = violations(sc, ({ result }) => {
          if (result === undefined) return undefined;
          const previous = last;
          last = result;
          return previous !== undefined && compare(result, previous) !== 1 ? `${format(result)} after ${format(previous)}` : undefined;
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('orders a receive after both the last local time and the remote time, and never below the physical clock', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const problems = violations(sc, ({ before, remote, result, physicalMs }) => {
          if (result === undefined) return undefined;
          if (result.wallMs < physicalMs) return `${format(result)} below the physical clock ${physicalMs}`;
          if (remote === undefined) return undefined;
          if (pack(result) <= pack(remote)) return `receive ${format(result)} not after remote ${format(remote)}`;
          if (pack(result) <= pack(before)) return `receive ${format(result)} not after local ${format(before)}`;
          return undefined;
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses exactly the remote times beyond the drift bound, and changes nothing when it does', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const problems = violations(sc, ({ remote, physicalMs, error }) => {
          if (remote === undefined) return undefined;
          const aheadMs = remote.wallMs - physicalMs;
          const tooFar = aheadMs > sc.maxDriftMs;
          if (tooFar !== (error !== undefined)) return `${aheadMs} ms ahead with bound ${sc.maxDriftMs}: ${error === undefined ? 'accepted' : 'refused'}`;
          if (error === undefined) return undefined;
          const e = error as ClockDriftError;
          return e.code === 'CLOCK_DRIFT' && e.name === 'StatemeshError' && e.details.aheadMs === aheadMs ? undefined : `bad error ${String(e)}`;
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps the wall part within maxDriftMs (+1 ms of counter carry) of the highest physical time seen', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        let highestPhysical = 0;
        const problems = violations(sc, ({ physicalMs, result }) => {
          highestPhysical = Math.max(highestPhysical, physicalMs);
          return result !== undefined && result.wallMs - highestPhysical > sc.maxDriftMs + 1
            ? `${format(result)} is ${result.wallMs - highestPhysical} ms past the highest physical time`
            : undefined;
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('bounds the logical part: it counts only events at the current wall millisecond', () => {
    // logical <= (events since the wall part last changed) + (largest remote counter merged at this wall) + 1,
    // and it restarts at 0 whenever the physical clock passes every time the clock had to exceed.
    fc.assert(
      fc.property(scenario, (sc) => {
        let wallMs = 0; // a new clock stands at {wallMs: 0, logical: 0}
        let eventsAtWall = 0;
        let remoteLogicalAtWall = -1;
        const problems = violations(sc, ({ before, remote, result, physicalMs }) => {
          if (result === undefined) return undefined;
          const physicalLeads = physicalMs > before.wallMs && (remote === undefined || physicalMs > remote.wallMs);
          if (physicalLeads && (result.wallMs !== physicalMs || result.logical !== 0)) {
            return `physical clock ${physicalMs} leads, yet ${format(result)}`;
          }
          if (result.wallMs !== wallMs) {
            wallMs = result.wallMs;
            eventsAtWall = 0;
            remoteLogicalAtWall = -1;
          } else {
            eventsAtWall++;
          }
          if (remote !== undefined && remote.wallMs === result.wallMs) {
            remoteLogicalAtWall = Math.max(remoteLogicalAtWall, remote.logical);
          }
          const bound = Math.min(MAX_LOGICAL, eventsAtWall + remoteLogicalAtWall + 1);
          return result.logical > bound ? `${format(result)}: logical above ${bound}` : undefined;
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('stays at logical 0 while the physical clock ticks between local events', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 46 }), fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 100 }), (start, ticks) => {
        let physicalMs = start;
        const clock = new HybridClock({ now: () => physicalMs });
        const expected: HybridTime[] = [];
        const issued: HybridTime[] = [];
        for (const tick of ticks) {
          physicalMs += tick;
          expected.push({ wallMs: physicalMs, logical: 0 });
          issued.push(clock.now());
        }
        expect(issued).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('interleavings', () => {
  type Op = 'a' | 'b' | 'a->b' | 'b->a' | 'tick-a' | 'tick-b';
  const ops = fc.array(fc.constantFrom<Op>('a', 'b', 'a->b', 'b->a', 'tick-a', 'tick-b'), { minLength: 1, maxLength: 80 });

  it('gives two callers sharing one clock distinct, increasing timestamps in 1000 interleavings', () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 0, max: 2 ** 46 }), (schedule, start) => {
        let physicalMs = start;
        const clock = new HybridClock({ now: () => physicalMs });
        const issued: Record<string, bigint[]> = { a: [], b: [] };
        for (const op of schedule) {
          if (op.startsWith('tick')) physicalMs = Math.max(0, physicalMs + (op === 'tick-a' ? 1 : -1)); // the physical clock wobbles
          else issued[op[0]!]!.push(pack(op.includes('->') ? clock.update(clock.current()) : clock.now()));
        }
        const all = [...issued.a!, ...issued.b!];
        expect(new Set(all).size).toBe(all.length);
        for (const own of [issued.a!, issued.b!]) expect(own.slice(1).every((t, i) => t > own[i]!)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps each of two messaging clocks distinct and increasing, and every receive after its send, in 1000 interleavings', () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 0, max: 2 ** 46 }), fc.integer({ min: -1000, max: 1000 }), (schedule, start, skew) => {
        const physical = { a: start + Math.max(0, skew), b: start + Math.max(0, -skew) };
        const clocks = { a: new HybridClock({ now: () => physical.a }), b: new HybridClock({ now: () => physical.b }) };
        const issued = { a: [] as HybridTime[], b: [] as HybridTime[] };
        const unordered: string[] = [];
        for (const op of schedule) {
          if (op === 'tick-a' || op === 'tick-b') {
            physical[op === 'tick-a' ? 'a' : 'b'] += 1;
          } else if (op === 'a' || op === 'b') {
            issued[op].push(clocks[op].now());
          } else {
            const [from, to] = op === 'a->b' ? (['a', 'b'] as const) : (['b', 'a'] as const);
            const sent = clocks[from].now();
            const received = clocks[to].update(sent);
            if (compare(received, sent) !== 1) unordered.push(`${format(received)} received after ${format(sent)} was sent`);
            issued[from].push(sent);
            issued[to].push(received);
          }
        }
        expect(unordered).toEqual([]);
        for (const own of [issued.a, issued.b]) {
          expect(new Set(own.map(pack)).size).toBe(own.length);
          expect(own.slice(1).every((t, i) => compare(t, own[i]!) === 1)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
