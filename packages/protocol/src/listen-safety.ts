import { StatemeshError } from '@statemesh/contracts';

/** True for a host that stays on this machine: `localhost`, `127.x.x.x`, `::1` (also IPv4-mapped `::ffff:127.x.x.x`). */
export function isLoopbackHost(host: string): boolean {
  const v4 = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** What {@link assertListenSafe} needs to know of a listener about to start. */
export interface ListenSafety {
  /** The package refusing, for the message (`@statemesh/transport-grpc`). */
  readonly source: string;
  /** The address as the user gave it, for the message. */
  readonly address: string;
  /** The interface it binds to; undefined when not known yet (a server not yet listening): treated as reachable. */
  readonly host: string | undefined;
  /** It encrypts (TLS). */
  readonly tls: boolean;
  /** It authenticates its clients (a token, or client certificates). */
  readonly authenticated: boolean;
  /** The user allowed an open listener anyway. */
  readonly insecure: boolean;
}

/**
 * The listen-address rule of every link (DESIGN section 7): a listener reachable from other machines needs TLS
 * and authentication, unless `insecure`. Throws `TLS_REQUIRED` saying how to fix it.
 */
export function assertListenSafe(listener: ListenSafety): void {
  if (listener.insecure || (listener.host !== undefined && isLoopbackHost(listener.host))) return;
  if (listener.tls && listener.authenticated) return;
  throw new StatemeshError(
    'TLS_REQUIRED',
    `${listener.source}: refusing to listen on ${listener.address}, reachable from other machines, without TLS and authentication; give it TLS and a token (or client certificates), bind it to 127.0.0.1, or pass insecure: true`,
    { details: { address: listener.address } },
  );
}
