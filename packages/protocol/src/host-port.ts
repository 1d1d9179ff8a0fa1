/** A TCP endpoint: a host name or address, and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/**
 * `host:port` (IPv6 hosts in brackets: `[::1]:7000`) split into its parts, or undefined when it is not one or the
 * port is over 65535 (port 0 is returned: whether it may listen anywhere is the caller's rule). Every link that
 * takes TCP addresses parses them here, so they all accept the same text.
 */
export function splitHostPort(text: string): HostPort | undefined {
  const match = typeof text === 'string' ? HOST_PORT.exec(text) : null;
  if (match === null) return undefined;
  const port = Number(match[3]);
  return port > 65_535 ? undefined : { host: match[1] ?? match[2]!, port };
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
