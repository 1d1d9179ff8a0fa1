import type { Socket } from 'node:net';
import type { HelloInfo } from '@statemesh/contracts';
import {
  IpcFrameDecoder,
  encodeIpcFrame,
  type Frame,
  type UnknownFrame,
  type Liveness,
} from '@statemesh/wire';
import { SocketWriter } from './socket-writer.js';

/** What a connection reports to the transport that owns it. */
export interface ConnectionEvents {
  /** `bytes` more bytes arrived. */
  received(connection: Connection, bytes: number): void;
  /** A decoded frame (`version` is the header's protocol version). */
  frame(connection: Connection, version: number, frame: Frame | UnknownFrame): void;
  /** Bytes that did not decode; the connection is being destroyed. */
  badInput(connection: Connection, error: unknown): void;
  /** The socket closed; `reason` says why. */
  closed(connection: Connection, reason: string): void;
}

/** Handshake: Hello not yet exchanged. Active: carries the peer's traffic. Standby: a duplicate being wound down. */
export type ConnectionState = 'handshake' | 'active' | 'standby' | 'closed';

let nextConnectionId = 1;

/**
 * One socket to another node: the streaming frame decoder on the way in, the back-pressured writer on the way out,
 * and what the Hello exchange taught us about the peer. The protocol itself lives in the transport.
 */
export class Connection {
  readonly id = nextConnectionId++;
  readonly socket: Socket;
  /** True when this node dialled (the peer listens at `address`). */
  readonly dialed: boolean;
  /** The peer's address when we dialled it, else where it came in. */
  readonly address: string;
  readonly openedAt = Date.now();
  readonly writer: SocketWriter;
  state: ConnectionState = 'handshake';
  /** Set by the Hello exchange. */
  peer: string | undefined;
  hello: HelloInfo | undefined;
  version = 0;
  liveness: Liveness | undefined;
  /** Why we are closing it, when we are. */
  reason: string | undefined;
  /** What the peer said in its goodbye, if anything. */
  peerGoodbye: string | undefined;
  /** Set while a compressed batch decodes: later batches wait behind it to keep the sender's order. */
  ordered: Promise<void> | undefined;
  readonly #decoder: IpcFrameDecoder;
  readonly #events: ConnectionEvents;
  #endTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Socket,
    options: { dialed: boolean; address: string; maxFrameBytes: number; highWaterMarkBytes: number },
    events: ConnectionEvents,
  ) {
    this.socket = socket;
    this.dialed = options.dialed;
    this.address = options.address;
    this.#events = events;
    this.#decoder = new IpcFrameDecoder({ maxFrameBytes: options.maxFrameBytes });
    this.writer = new SocketWriter(socket, options.highWaterMarkBytes);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.reason ??= `socket error ${error.code ?? error.message}`;
    });
    socket.on('end', () => {
      // The peer half-closed: finish our side too (after what is queued has gone).
      this.reason ??= this.peerGoodbye === undefined ? 'the peer closed the connection' : `the peer said goodbye: ${this.peerGoodbye}`;
      socket.end();
    });
    socket.on('close', () => {
      const wasOpen = this.state !== 'closed';
      this.state = 'closed';
      this.writer.close();
      if (this.#endTimer !== undefined) clearTimeout(this.#endTimer);
      if (wasOpen) this.#events.closed(this, this.reason ?? 'the connection closed');
    });
  }

  /** Encodes and queues a frame; false when the peer's backlog is past the high-water mark (nothing queued). */
  send(frame: Frame, version = this.version): boolean {
    return this.writer.write(encodeIpcFrame(frame, { version }));
  }

  /** Queues already encoded frame bytes; false when past the high-water mark. */
  sendBytes(bytes: Uint8Array): boolean {
    return this.writer.write(bytes);
  }

  /** Says goodbye and half-closes, letting queued frames out; forced shut after `graceMs`. */
  end(reason: string, graceMs: number): void {
    if (this.state === 'closed' || this.#endTimer !== undefined) return;
    this.reason ??= reason;
    if (!this.socket.destroyed) {
      this.send({ kind: 'goodbye', reason }, this.version || 1);
      this.socket.end();
    }
    this.#endTimer = setTimeout(() => this.socket.destroy(), graceMs);
    this.#endTimer.unref();
  }

  /** Closes at once, dropping whatever is queued. */
  destroy(reason: string): void {
    if (this.state === 'closed') return;
    this.reason ??= reason;
    this.socket.destroy();
  }

  #receive(chunk: Buffer): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    this.#events.received(this, chunk.byteLength);
    this.liveness?.seen(Date.now());
    let frames;
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#events.badInput(this, error);
      return;
    }
    for (const { version, frame } of frames) {
      if (this.socket.destroyed) return;
      this.#events.frame(this, version, frame);
    }
  }
}
