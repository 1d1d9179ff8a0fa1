// Reaches a node's admin API that listens on the loopback of another network namespace, from this one: a small
// forwarder inside the namespace takes connections on a Unix socket (a path works across network namespaces) to
// the namespace's 127.0.0.1:<port>, and a TCP server of this process on 127.0.0.1 hands each connection to it.
// What the client sees is a plain http://127.0.0.1:<port> URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { until } from './node-folder.ts';

// Inside the namespace: Unix socket argv[1] -> 127.0.0.1:argv[2].
const FORWARDER = `
const net = require('node:net');
const [socketPath, port] = process.argv.slice(1);
net.createServer((client) => {
  const target = net.connect(Number(port), '127.0.0.1');
  client.pipe(target).pipe(client);
  client.on('error', () => target.destroy());
  target.on('error', () => client.destroy());
}).listen(socketPath);
`;

/** A URL in this namespace for `127.0.0.1:<port>` of another one; `close()` stops both ends. */
export class NamespaceBridge {
  readonly url: string;
  readonly #forwarder: ChildProcess;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(url: string, forwarder: ChildProcess, server: Server, sockets: Set<Socket>) {
    this.url = url;
    this.#forwarder = forwarder;
    this.#server = server;
    this.#sockets = sockets;
  }

  /** Starts the forwarder with `exec` (the namespace's command prefix) on `socketPath`, to the namespace's `port`. */
  static async open(exec: readonly string[], socketPath: string, port: number): Promise<NamespaceBridge> {
    const forwarder = spawn(exec[0]!, [...exec.slice(1), process.execPath, '-e', FORWARDER, socketPath, String(port)], { stdio: 'ignore' });
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const target = connect(socketPath);
      for (const socket of [client, target]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('error', () => target.destroy());
      target.on('error', () => client.destroy());
      client.pipe(target).pipe(client);
    });
    try {
      await until(`the forwarder on ${socketPath}`, () => existsSync(socketPath) || forwarder.exitCode !== null, 15_000);
      if (forwarder.exitCode !== null) throw new Error(`the forwarder on ${socketPath} exited with ${forwarder.exitCode}`);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    } catch (error) {
      forwarder.kill('SIGKILL');
      server.close();
      throw error;
    }
    return new NamespaceBridge(`http://127.0.0.1:${(server.address() as { port: number }).port}`, forwarder, server, sockets);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.#forwarder.exitCode === null && this.#forwarder.signalCode === null) {
      const exited = new Promise((resolve) => this.#forwarder.once('close', resolve));
      this.#forwarder.kill('SIGKILL');
      await exited;
    }
  }
}
