import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatemeshError, type Conflict, type ErrorCode } from '@statemesh/session';

const PREFIX = '@statemesh/cli: ';

/** The HTTP status of an answer that carries the error `code`. */
export function statusFor(code: ErrorCode): number {
  if (code === 'TIMEOUT') return 504;
  if (code === 'VALUE_TOO_LARGE') return 413;
  if (code === 'STORE_FULL') return 507;
  if (code.startsWith('INVALID') || code === 'RESERVED_PATH') return 400;
  if (code === 'TRUNCATED' || code === 'BAD_MAGIC' || code === 'VERSION_MISMATCH' || code === 'CORRUPT_INPUT') return 422;
  return 500;
}

/** A conflict with its hybrid timestamps as decimal strings (JSON has no 64-bit integers). */
export function conflictView(conflict: Conflict): unknown {
  return {
    path: conflict.path,
    winner: { ...conflict.winner, hlc: conflict.winner.hlc.toString() },
    loser: { ...conflict.loser, hlc: conflict.loser.hlc.toString() },
    at: conflict.at,
  };
}

/** Answers `body` as JSON (64-bit integers as decimal strings), never cached. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

/** A query parameter that must be there; `INVALID_ARGUMENT` names it otherwise. */
export function required(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the query parameter ${name} is required`);
  return value;
}

/** A count from the query (1-128), else `fallback`. */
export function count(text: string | null, fallback: number): number {
  const n = Number(text ?? fallback);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 128) : fallback;
}

/** Says "100 Continue" to a client waiting for it before it sends the body (the checks before passed). */
export function continueIfAsked(request: IncomingMessage, response: ServerResponse): void {
  if ((request.headers.expect ?? '').toLowerCase() === '100-continue') response.writeContinue();
}

