import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One nats-server process started by a test, on loopback, in its own temporary folder. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly clusterPort: number;
  /** Kills the process (SIGKILL: a crash) and waits for its exit; the folder stays until `stop`. */
  kill(): Promise<void>;
  /** Stops the process if it runs and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/** Where nats-server is; installed with apt-get when missing and root (CI on a fresh machine), else the test fails saying how. */
export function natsServerBinary(): string {
  const works = (): boolean => spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (works()) return 'nats-server';
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0) {
    spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (works()) return 'nats-server';
  }
  throw new Error('transport-nats tests need nats-server: sudo apt-get install -y nats-server');
}

/** A free loopback port (bound and released: a tiny race, which the start's wait would report). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Options of one server; `routes` are cluster ports of the other servers of a NATS cluster. */
export interface NatsServerOptions {
  readonly name?: string;
  readonly jetstream?: boolean;
  readonly port?: number;
  readonly clusterPort?: number;
  readonly routes?: readonly number[];
  /** Extra configuration text (authorization blocks, max_payload, ...). */
  readonly extra?: string;
}

/** Starts nats-server and waits (bounded, 10 s) until it accepts connections. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = natsServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'statemesh-nats-'));
  const port = options.port ?? (await freePort());
  const clusterPort = options.clusterPort ?? (options.routes === undefined ? 0 : await freePort());
  const name = options.name ?? `n${port}`;
  const lines = [`server_name: ${name}`, `listen: 127.0.0.1:${port}`];
  if (options.jetstream !== false) lines.push(`jetstream { store_dir: "${join(dir, 'js')}" }`);
  if (options.routes !== undefined) {
    lines.push(`cluster { name: statemesh-test, listen: 127.0.0.1:${clusterPort}, routes: [${options.routes.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}] }`);
  }
  if (options.extra !== undefined) lines.push(options.extra);
  const config = join(dir, 'server.conf');
  writeFileSync(config, lines.join('\n') + '\n');
  let child: ChildProcess | undefined = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child === undefined) return;
    child.kill('SIGKILL');
    await exited;
    child = undefined;
  };
  // Should the test process end without stop() (a crash, a timeout), the server and its folder go with it.
  const atExit = (): void => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', atExit);
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', atExit);
  };
  try {
    await waitForPort(port, 10_000, () => child?.exitCode != null);
  } catch (error) {
    await stop();
    throw new Error(`nats-server did not start: ${String(error)}\n${log}`);
  }
  return { url: `nats://127.0.0.1:${port}`, port, clusterPort, kill, stop };
}

/** A NATS cluster of `size` servers, each with a route to every other. */
export async function startNatsCluster(size: number, extra?: string): Promise<NatsServer[]> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const servers: NatsServer[] = [];
  try {
    // Started together: JetStream's meta group needs a quorum of them before any one of them is ready.
    const started = await Promise.all(
      ports.map((port, i) =>
        startNatsServer({ name: `s${i}`, port, clusterPort: clusterPorts[i]!, routes: clusterPorts.filter((_, j) => j !== i), ...(extra === undefined ? {} : { extra }) }).then((server) => {
          servers.push(server);
          return server;
        }),
      ),
    );
    return started;
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
}

async function waitForPort(port: number, timeoutMs: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone()) throw new Error('the process exited');
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
