import { StatemeshError } from '../error.js';

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms: generous, because CI machines stall). */
  readonly timeoutMs?: number;
  /** Poll every this many milliseconds (default 10). */
  readonly intervalMs?: number;
  /** Said in the error when the condition never held. */
  readonly message?: string;
}

/**
 * Polls `condition` until it returns true (or a promise of true), and rejects with `TIMEOUT` after `timeoutMs`.
 * Tests wait for what they expect to happen instead of sleeping a fixed time. No timer is pending while
 * `condition` runs, so a condition may count the process's active handles.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      throw new StatemeshError(
        'TIMEOUT',
        `@statemesh/contracts: waited ${timeoutMs} ms for ${options.message ?? 'a condition'}; it never held`,
      );
    }
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs));
  }
}
