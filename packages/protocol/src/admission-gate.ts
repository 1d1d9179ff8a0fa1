import type { TimerHandle, Timers } from '@statemesh/contracts';
import { tokensMatch } from './link-token.js';
import { realTimers } from './real-timers.js';

/** Why a connection was refused before it became a link. */
export type AdmissionRefusal = 'busy' | 'token' | 'malformed' | 'timeout' | 'closing';

/** What an {@link AdmissionGate} decided since it was made. */
export interface AdmissionStats {
  /** Connections that presented the expected token (or any, when none is expected). */
  admitted: number;
  /** Connections that presented a missing or wrong token. */
  refusedToken: number;
  /** Connections whose first message was not a token presentation at all. */
  refusedMalformed: number;
  /** Connections refused at once because `maxPending` were waiting already. */
  refusedBusy: number;
  /** Connections that presented nothing within `timeoutMs`. */
  timeouts: number;
  /** Connections waiting now. */
  pending: number;
}

/** Options of an {@link AdmissionGate}. */
export interface AdmissionGateOptions {
  /** The token connections must present; absent: any presentation is admitted. */
  readonly expectedToken?: string | undefined;
  /** Time a connection has to present its token (default 10 000 ms). */
  readonly timeoutMs?: number | undefined;
  /** Connections waiting at most; more are refused at once (default 64). */
  readonly maxPending?: number | undefined;
  /** The timers of the time limit (default: real ones, which keep nothing alive). */
  readonly timers?: Timers | undefined;
}

/** One connection waiting at an {@link AdmissionGate}; each method settles it, and only the first counts. */
export interface PendingAdmission {
  /** It presented `token`: true when admitted; false when refused (its refusal callback has run). */
  present(token: string | Uint8Array | undefined): boolean;
  /** Its first message was not a token presentation: refused. */
  malformed(): void;
  /** It went away before presenting anything: no longer waiting, counted nowhere. */
  abandon(): void;
}

/**
 * The rule of every listener that admits a connection before a link exists (the IPC token frame on TCP, the
 * WebSocket auth message, the gRPC bearer token): a token compared in constant time, within a time limit, with a
 * bound on connections waiting, and counts of what was refused. The medium reads the presentation and closes
 * refused connections (its `refuse` callback); the gate decides and counts. No `node:` import: it runs in browsers.
 */
export class AdmissionGate {
  readonly #expected: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #timers: Timers;
  readonly #pending = new Set<(why: AdmissionRefusal) => void>();
  readonly #stats: AdmissionStats = { admitted: 0, refusedToken: 0, refusedMalformed: 0, refusedBusy: 0, timeouts: 0, pending: 0 };

  constructor(options: AdmissionGateOptions = {}) {
    this.#expected = options.expectedToken;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxPending = options.maxPending ?? 64;
    this.#timers = options.timers ?? realTimers;
  }

  /**
   * Starts waiting for a connection's token. `refuse(why)` runs once if it is refused: at once, with `busy`, when
   * `maxPending` wait already (then undefined is returned); later on a wrong token, a malformed first message, the
   * time limit, or {@link close}.
   */
  wait(refuse: (why: AdmissionRefusal) => void): PendingAdmission | undefined {
    if (this.#pending.size >= this.#maxPending) {
      this.#stats.refusedBusy++;
      refuse('busy');
      return undefined;
    }
    let settled = false;
    const settle = (why: AdmissionRefusal | undefined): void => {
      if (settled) return;
      settled = true;
      this.#timers.clearTimeout(timer);
      this.#pending.delete(refused);
      this.#stats.pending = this.#pending.size;
      if (why !== undefined) refuse(why);
    };
    const refused = (why: AdmissionRefusal): void => settle(why);
    const timer: TimerHandle = this.#timers.setTimeout(() => {
      if (!settled) this.#stats.timeouts++;
      settle('timeout');
    }, this.#timeoutMs);
    this.#pending.add(refused);
    this.#stats.pending = this.#pending.size;
    return {
      present: (token) => {
        if (settled) return false;
        const ok = this.check(token);
        settle(ok ? undefined : 'token');
        return ok;
      },
      malformed: () => {
        if (!settled) this.#stats.refusedMalformed++;
        settle('malformed');
      },
      abandon: () => settle(undefined),
    };
  }

  /** Judges a token presented with the connection itself (no waiting), counting the decision. */
  check(token: string | Uint8Array | undefined): boolean {
    const ok = this.#expected === undefined || (token !== undefined && tokensMatch(token, this.#expected));
    if (ok) this.#stats.admitted++;
    else this.#stats.refusedToken++;
    return ok;
  }

  /** Refuses every connection still waiting, with `closing` (counted nowhere). */
  close(): void {
    for (const refuse of this.#pending) refuse('closing'); // each deletes itself: a Set iterates on safely
  }

  /** A copy of the counts. */
  stats(): AdmissionStats {
    return { ...this.#stats };
  }
}
