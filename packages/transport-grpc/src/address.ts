import { StatemeshError } from '@statemesh/contracts';
import { splitHostPort, type HostPort } from '@statemesh/protocol';

/**
 * Parses `host:port` (also `[v6]:port`); `allowPortZero` accepts port 0 (listen on any free port). Throws
 * `INVALID_CONFIG` naming the bad address.
 */
export function parseHostPort(text: string, options: { allowPortZero?: boolean } = {}): HostPort {
  const address = splitHostPort(text);
  if (address === undefined || (address.port === 0 && options.allowPortZero !== true)) {
    throw new StatemeshError(
      'INVALID_CONFIG',
      `@statemesh/transport-grpc: ${JSON.stringify(text)} is not an address: use host:port (127.0.0.1:7000, [::1]:7000, node-a.example:7000; port 0 to listen on any free port)`,
      { details: { address: text } },
    );
  }
  return address;
}

/** A listen address: `host:port`, or a port alone (`7000`, `0`) meaning loopback `127.0.0.1`. */
export function parseListenAddress(text: string): HostPort {
  return parseHostPort(typeof text === 'string' && /^\d{1,5}$/.test(text) ? `127.0.0.1:${text}` : text, { allowPortZero: true });
}
