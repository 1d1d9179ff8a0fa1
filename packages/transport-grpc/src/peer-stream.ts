import { status as Status, type Client, type ClientDuplexStream, type ServerDuplexStream, type StatusObject } from '@grpc/grpc-js';
import type { HelloInfo } from '@statemesh/contracts';
import type { Frame, UnknownFrame } from '@statemesh/wire';
import type { Liveness } from '@statemesh/protocol';
import type { Incoming, Outgoing } from './replication-service.js';
import { StreamWriter } from './stream-writer.js';

/** What a stream reports to the transport that owns it. */
export interface StreamEvents {
  /** A message of `bytes` bytes arrived and decoded. */
  frame(stream: PeerStream, frame: Frame | UnknownFrame, bytes: number): void;
  /** A message that did not decode. */
  badInput(stream: PeerStream, error: unknown, bytes: number): void;
  /** The stream ended; `status` is the gRPC status the dialling side received, when it did. */
  closed(stream: PeerStream, reason: string, status: StatusObject | undefined): void;
}

/** Handshake: Hello not yet exchanged. Active: carries the peer's traffic. Standby: a duplicate being wound down. */
export type StreamState = 'handshake' | 'active' | 'standby' | 'closed';

/** The two ends grpc-js gives us: the call we dialled, or the call a peer made to our server. */
export type ChannelCall = ClientDuplexStream<Outgoing, Incoming> | ServerDuplexStream<Incoming, Outgoing>;

/**
 * One `Channel` stream to another node, from either end: the back-pressured writer on the way out, decoded
 * messages on the way in, and what the Hello exchange taught us about the peer. The protocol lives in the transport.
 */
export class PeerStream {
  /** True when this node dialled (the peer serves at `address`). */
  readonly dialed: boolean;
  /** The peer's address when we dialled it, else where its call came from. */
  readonly address: string;
  readonly openedAt = Date.now();
  readonly writer: StreamWriter;
  state: StreamState = 'handshake';
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
  readonly #call: ChannelCall;
  readonly #client: Client | undefined;
  readonly #events: StreamEvents;
  #endTimer: NodeJS.Timeout | undefined;
  #onClosed: Array<() => void> = [];

  constructor(
    call: ChannelCall,
    options: { dialed: boolean; address: string; highWaterMarkBytes: number; maxMessageBytes: number; client?: Client },
    events: StreamEvents,
  ) {
    this.#call = call;
    this.dialed = options.dialed;
    this.address = options.address;
    this.#client = options.client;
    this.#events = events;
    this.writer = new StreamWriter(call, options);
    call.on('data', (incoming: Incoming) => this.#receive(incoming));
    call.on('error', (error: Error & { code?: number; details?: string }) => {
      this.reason ??= `stream error: ${error.details ?? error.message}`;
    });
    if ('cancel' in call) {
      call.on('status', (status: StatusObject) => {
        if (status.code !== Status.OK) this.reason ??= `stream ended with status ${Status[status.code] ?? status.code}: ${status.details}`;
        this.#closed(status);
      });
    } else {
      call.on('cancelled', () => {
        this.reason ??= 'the peer cancelled the stream or its connection was lost';
        this.#closed(undefined);
      });
      call.on('finish', () => this.#closed(undefined));
    }
    call.on('end', () => {
      // The peer half-closed: finish our side too (after what is queued has gone).
      this.reason ??= this.peerGoodbye === undefined ? 'the peer closed the stream' : `the peer said goodbye: ${this.peerGoodbye}`;
      if (this.state !== 'closed') this.#call.end();
    });
  }

  /** Calls `listener` once the stream has closed (at once if it has). */
  whenClosed(listener: () => void): void {
    if (this.state === 'closed') listener();
    else this.#onClosed.push(listener);
  }

  /** Queues encoded bytes (`mutations`: a mutations envelope, mergeable); false when the peer's backlog is past the high-water mark. */
  sendBytes(bytes: Uint8Array, mutations = false): boolean {
    return this.writer.write(bytes, mutations);
  }

  /** Says goodbye and half-closes, letting queued messages out; cut after `graceMs`. */
  end(reason: string, goodbye: Uint8Array, graceMs: number): void {
    if (this.state === 'closed' || this.#endTimer !== undefined) return;
    this.reason ??= reason;
    this.writer.write(goodbye);
    this.#call.end();
    this.#endTimer = setTimeout(() => this.destroy(reason), graceMs);
    this.#endTimer.unref();
  }

  /**
   * Ends the stream at once, dropping what is queued: the dialling side cancels the call; the serving side ends
   * it with `code` (a gRPC status) and `reason` as its details.
   */
  destroy(reason: string, code: Status = Status.CANCELLED): void {
    if (this.state === 'closed') return;
    this.reason ??= reason;
    this.writer.close();
    if ('cancel' in this.#call) {
      this.#call.cancel();
    } else {
      this.#call.emit('error', { code, details: reason });
      this.#closed(undefined);
    }
  }

  #receive(incoming: Incoming): void {
    if (this.state === 'closed') return;
    this.liveness?.seen(Date.now());
    if ('error' in incoming) this.#events.badInput(this, incoming.error, incoming.bytes);
    else this.#events.frame(this, incoming.frame, incoming.bytes);
  }

  #closed(status: StatusObject | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.writer.close();
    if (this.#endTimer !== undefined) clearTimeout(this.#endTimer);
    this.#client?.close();
    this.#events.closed(this, this.reason ?? 'the stream ended', status);
    for (const listener of this.#onClosed.splice(0)) listener();
  }
}
