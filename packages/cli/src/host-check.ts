import { isIP } from 'node:net';

/**
 * Which `Host` headers a node's HTTP servers answer (DNS rebinding: a web page whose name an attacker points at
 * 127.0.0.1 reaches the loopback server with its own name in `Host`). Addresses are always allowed, as are
 * `localhost` and `*.localhost`; any other name only when listed (`allowedHosts` in the node config,
 * `--allow-host`).
 */
export class HostCheck {
  readonly #names: ReadonlySet<string>;

  constructor(allowedHosts: readonly string[] = []) {
    this.#names = new Set(allowedHosts.map((name) => name.toLowerCase().replace(/\.$/, '')));
  }

  /** Whether a request with this `Host` header is answered (a missing header: only from HTTP/1.0 clients). */
  allows(header: string | undefined): boolean {
    if (header === undefined || header === '') return true;
    const host = hostName(header);
    if (host === undefined) return false;
    if (isIP(host) !== 0) return true;
    return host === 'localhost' || host.endsWith('.localhost') || this.#names.has(host);
  }
}

/** The host part of a `Host` header (`name`, `name:port`, `[v6]:port`), lower case; undefined when malformed. */
function hostName(header: string): string | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(header.trim());
  if (match === null) return undefined;
  return (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, '');
}
