import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { formatAddress, type IpcAddress } from './address.js';
import type { Backoff } from '@statemesh/wire';
import { SOCKET_BUFFER_BYTES } from './socket-writer.js';

/**
 * Keeps one seed address connected: dials it, and after every failure or lost connection redials after a backoff
 * delay, until stopped. While the node behind the seed is reachable through another connection (both nodes dialled
 * each other and the other connection won), the dialer is parked and wakes when that peer goes down.
 */
export class SeedDialer {
  readonly address: IpcAddress;
  /** The address as text, `unix:<path>` or `tcp://host:port`. */
  readonly text: string;
  /** The node behind this address, once a Hello told us. */
  node: string | undefined;
  readonly #backoff: Backoff;
  readonly #connected: (socket: Socket, dialer: SeedDialer) => void;
  #timer: NodeJS.Timeout | undefined;
  #pending: Socket | undefined;
  #busy = false;
  #parked = false;
  #stopped = false;

  constructor(address: IpcAddress, backoff: Backoff, connected: (socket: Socket, dialer: SeedDialer) => void) {
    this.address = address;
    this.text = formatAddress(address);
    this.#backoff = backoff;
    this.#connected = connected;
  }

  /** True while waiting for the peer reachable through another connection to go down. */
  get parked(): boolean {
    return this.#parked;
  }

  /** Dials now, unless already connected, dialling or waiting to redial. */
  dial(): void {
    if (this.#stopped || this.#busy || this.#timer !== undefined) return;
    this.#busy = true;
    this.#parked = false;
    // net.Socket passes writableHighWaterMark on to its stream, though the connect() typings do not list it.
    const options: NetConnectOpts & { writableHighWaterMark: number } =
      this.address.kind === 'unix'
        ? { path: this.address.path, writableHighWaterMark: SOCKET_BUFFER_BYTES }
        : { host: this.address.host, port: this.address.port, noDelay: true, writableHighWaterMark: SOCKET_BUFFER_BYTES };
    const socket = connect(options);
    this.#pending = socket;
    const failed = (): void => {
      this.#pending = undefined;
      socket.destroy();
      this.#busy = false;
      this.#schedule();
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.removeListener('error', failed);
      this.#pending = undefined;
      if (this.#stopped) {
        socket.destroy();
        return;
      }
      this.#connected(socket, this);
    });
  }

  /** The Hello exchange succeeded: the next failure starts again from the initial delay. */
  succeeded(): void {
    this.#backoff.reset();
  }

  /** Our connection closed. `park`: the peer is still up through another connection; wait for {@link wake}. */
  closed(park: boolean): void {
    this.#busy = false;
    if (park) this.#parked = true;
    else this.#schedule();
  }

  /** The peer reached through another connection went down: redial (after a backoff delay). */
  wake(): void {
    if (!this.#parked) return;
    this.#parked = false;
    this.#schedule();
  }

  /** Stops dialling for good; a connection attempt in progress is abandoned. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending?.destroy();
    this.#pending = undefined;
  }

  #schedule(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.dial();
    }, this.#backoff.next());
  }
}
