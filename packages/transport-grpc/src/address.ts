import { StatemeshError } from '@statemesh/contracts';

/** A TCP endpoint: `host:port`, IPv6 hosts in brackets (`[::1]:7000`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port` (also `[v6]:port`); `allowPortZero` accepts port 0 (listen on any free port). Throws
 * `INVALID_CONFIG` naming the bad address.
 */
export function parseHostPort(text: string, options: { allowPortZero?: boolean } = {}): HostPort {
  if (typeof text !== 'string') throw bad(String(text));
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (match === null) throw bad(text);
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port > 65_535 || (port === 0 && options.allowPortZero !== true)) throw bad(text);
  return { host, port };
}

/** A listen address: `host:port`, or a port alone (`7000`, `0`) meaning loopback `127.0.0.1`. */
export function parseListenAddress(text: string): HostPort {
  return parseHostPort(typeof text === 'string' && /^\d{1,5}$/.test(text) ? `127.0.0.1:${text}` : text, { allowPortZero: true });
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function bad(text: string): StatemeshError {
  return new StatemeshError(
    'INVALID_CONFIG',
    `@statemesh/transport-grpc: ${JSON.stringify(text)} is not an address: use host:port (127.0.0.1:7000, [::1]:7000, node-a.example:7000; port 0 to listen on any free port)`,
    { details: { address: text } },
  );
}
