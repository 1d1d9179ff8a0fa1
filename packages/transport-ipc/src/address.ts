import { StatemeshError } from '@statemesh/contracts';
import { formatHostPort, isLoopbackHost, splitHostPort } from '@statemesh/protocol';

/** Where a transport listens or dials: a Unix-domain socket path, or a TCP port on the loopback interface. */
export type IpcAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

// Linux limits sun_path to 108 bytes including the terminating NUL; macOS to 104. Refuse early, clearly.
const MAX_UNIX_PATH_BYTES = 103;

/**
 * Parses `/tmp/x.sock`, `unix:/tmp/x.sock` or `tcp://127.0.0.1:port` (also `tcp://localhost:port`,
 * `tcp://[::1]:port`). TCP is loopback only: this transport has no authentication or encryption.
 * Throws `INVALID_CONFIG` on anything else.
 */
export function parseAddress(text: string, options: { allowPortZero?: boolean } = {}): IpcAddress {
  if (typeof text !== 'string' || text.trim() === '') throw invalid(text, 'it is empty');
  if (text.startsWith('tcp://')) {
    const address = splitHostPort(text.slice('tcp://'.length));
    if (address === undefined) throw invalid(text, 'write it as tcp://127.0.0.1:<port> (a port of 1-65535; 0 when listening, for any free port)');
    if (!isLoopbackHost(address.host)) {
      throw invalid(text, 'TCP is allowed on the loopback interface only (127.0.0.1, localhost or [::1]); use @statemesh/transport-grpc across machines');
    }
    if (address.port === 0 && options.allowPortZero !== true) throw invalid(text, 'the port must be 1-65535 (0 is for listening only)');
    return { kind: 'tcp', ...address };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw invalid(text, 'the only schemes are unix: and tcp://');
  const path = text.startsWith('unix:') ? text.slice('unix:'.length) : text;
  if (path === '') throw invalid(text, 'the socket path is empty');
  if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES) {
    throw invalid(text, `a Unix socket path may be at most ${MAX_UNIX_PATH_BYTES} bytes; use a shorter directory (e.g. under /tmp)`);
  }
  if (path.includes('\0')) throw invalid(text, 'the socket path contains a NUL byte');
  return { kind: 'unix', path };
}

/** The canonical text of an address: `unix:<path>` or `tcp://<host>:<port>` (IPv6 hosts in brackets). */
export function formatAddress(address: IpcAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `tcp://${formatHostPort(address)}`;
}

function invalid(text: unknown, why: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `@statemesh/transport-ipc: address ${JSON.stringify(text)} is not valid: ${why}`, {
    details: { address: text },
  });
}
