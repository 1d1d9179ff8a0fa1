import { StatemeshError, type Session, type Version } from '@statemesh/session';

/**
 * How far a write must have got before it is answered (DESIGN section 2): `local` (applied on this node),
 * `durable` (on this node's disk: needs `--data`), `replicated:N` (N other nodes acknowledged it).
 */
export type WriteWait = { readonly level: 'local' } | { readonly level: 'durable' } | { readonly level: 'replicated'; readonly peers: number };

/** How long a wait lasts unless told (`--wait-ms`, `wait-ms=`). */
export const DEFAULT_WAIT_MS = 10_000;
const PREFIX = '@statemesh/cli: ';

/** Reads `local`, `durable` or `replicated:N`; `INVALID_ARGUMENT` otherwise. */
export function parseWriteWait(text: string | null | undefined): WriteWait {
  if (text === null || text === undefined || text === '' || text === 'local') return { level: 'local' };
  if (text === 'durable') return { level: 'durable' };
  const match = /^replicated:(\d{1,4})$/.exec(text);
  if (match !== null && Number(match[1]) >= 1) return { level: 'replicated', peers: Number(match[1]) };
  throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}wait must be local, durable or replicated:N (N ≥ 1 other nodes), not ${JSON.stringify(text)}`);
}

/** Reads a wait in milliseconds (0-3 600 000); `fallback` when absent. */
export function parseWaitMs(text: string | null | undefined, fallback = DEFAULT_WAIT_MS): number {
  if (text === null || text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 3_600_000) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}wait-ms must be a whole number of milliseconds 0-3600000, not ${JSON.stringify(text)}`);
  return n;
}

/** `durable`, `replicated:2`: the form the flag and the query take. */
export function formatWriteWait(wait: WriteWait): string {
  return wait.level === 'replicated' ? `replicated:${wait.peers}` : wait.level;
}

/** Resolves once the write at `version` reached `wait`; rejects with `TIMEOUT` (answered 504) after `waitMs`. */
export async function reachLevel(session: Session, version: Version, wait: WriteWait, waitMs: number): Promise<void> {
  if (wait.level === 'durable') await session.durable(version, waitMs);
  else if (wait.level === 'replicated') await session.replicated(version, { peers: wait.peers, timeoutMs: waitMs });
}
