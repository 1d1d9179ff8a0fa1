import { createServer } from 'node:net';

/** Ports handed out: below the ephemeral range of Linux (32768-60999), macOS and Windows (49152-65535). */
const FIRST_PORT = 20_000;
const PORTS = 12_000;

/**
 * A TCP port of 127.0.0.1 free when asked, for a node that must be found at the same place after a restart. It
 * comes from below the kernel's ephemeral range, so no `listen(0)` (a relay, a dialled socket, another test) can
 * take it between this call and the caller's own `listen`, which a port 0 handed back from the kernel allows.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * PORTS);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free TCP port on 127.0.0.1 between ${FIRST_PORT} and ${FIRST_PORT + PORTS - 1} after 100 tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}
