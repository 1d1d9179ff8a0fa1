import { StatemeshError } from '@statemesh/contracts';

/** Largest first message a listener reads (the auth message); a longer one closes with 1009 before it is buffered. */
export const MAX_AUTH_MESSAGE_BYTES = 4096;

/** What the dialler sends first, as a text message: `{"type":"statemesh-auth","version":1,"token":"..."}`. */
export interface AuthMessage {
  readonly type: 'statemesh-auth';
  readonly version: 1;
  /** The listener's token; absent when the listener needs none. */
  readonly token?: string | undefined;
}

/** The listener's answer once the token is accepted, as a text message: `{"type":"statemesh-ready"}`. */
export const READY_MESSAGE = '{"type":"statemesh-ready"}';

/** The auth message text for `token`. */
export function encodeAuthMessage(token: string | undefined): string {
  const message: AuthMessage = token === undefined ? { type: 'statemesh-auth', version: 1 } : { type: 'statemesh-auth', version: 1, token };
  return JSON.stringify(message);
}

/** Parses a first message; throws `UNAUTHENTICATED` when it is not an auth message of version 1. */
export function decodeAuthMessage(data: unknown): AuthMessage {
  if (typeof data !== 'string') throw notAuth('it is binary; the first message must be the text auth message');
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw notAuth('it is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw notAuth('it is not a JSON object');
  const { type, version, token } = value as Record<string, unknown>;
  if (type !== 'statemesh-auth') throw notAuth('its "type" is not "statemesh-auth"');
  if (version !== 1) throw notAuth(`its version ${JSON.stringify(version)} is not 1, the only one this node speaks`);
  if (token !== undefined && typeof token !== 'string') throw notAuth('its "token" is not a string');
  return token === undefined ? { type, version } : { type, version, token };
}

function notAuth(why: string): StatemeshError {
  return new StatemeshError('UNAUTHENTICATED', `@statemesh/transport-websocket: the first message is not a statemesh auth message (${why}); see PROTOCOL.md`);
}
