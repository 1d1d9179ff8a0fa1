import { connect, createServer, type Server, type Socket } from 'node:net';

/** Where a {@link SilencingRelay} listens or forwards to: a Unix socket path, or a loopback TCP port. */
export type RelayEndpoint = { readonly path: string } | { readonly host: string; readonly port: number };

/**
 * A byte relay for transport tests: it forwards a connection from `from` to the node `to` both ways, and drops the
 * bytes a side sends while that side is silenced, with every connection left open, as a hung process would. The
 * conformance suite's "silent peer becomes suspect, then down" check needs it (`TransportHarness.silence`).
 * Whatever runs over the connection (IPC frames, HTTP/2, TLS) passes through untouched until a side is silenced.
 */
export class SilencingRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target: RelayEndpoint;
  readonly #from: string;
  readonly #to: string;
  readonly #isSilenced: (node: string) => boolean;

  private constructor(server: Server, target: RelayEndpoint, from: string, to: string, isSilenced: (node: string) => boolean) {
    this.#server = server;
    this.#target = target;
    this.#from = from;
    this.#to = to;
    this.#isSilenced = isSilenced;
    server.on('connection', (client) => this.#relay(client));
  }

  /** Starts a relay listening on `listen` (`{host: '127.0.0.1', port: 0}` picks a free port). */
  static async open(options: {
    readonly listen: RelayEndpoint;
    readonly target: RelayEndpoint;
    readonly from: string;
    readonly to: string;
    readonly isSilenced: (node: string) => boolean;
  }): Promise<SilencingRelay> {
    const server = createServer();
    const relay = new SilencingRelay(server, options.target, options.from, options.to, options.isSilenced);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen, () => resolve());
    });
    return relay;
  }

  /** Where the relay listens. */
  get address(): RelayEndpoint {
    const bound = this.#server.address();
    return typeof bound === 'string' ? { path: bound } : { host: bound!.address, port: bound!.port };
  }

  /** Closes the relay and every connection through it. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #relay(client: Socket): void {
    const upstream = connect(this.#target);
    this.#sockets.add(client).add(upstream);
    this.#forward(client, upstream, this.#from);
    this.#forward(upstream, client, this.#to);
  }

  #forward(source: Socket, sink: Socket, sender: string): void {
    source.on('data', (chunk: Buffer) => {
      if (!this.#isSilenced(sender)) sink.write(chunk);
    });
    source.on('error', () => {}); // the other side's close reports it
    source.on('close', () => {
      sink.destroy();
      this.#sockets.delete(source);
    });
  }
}
