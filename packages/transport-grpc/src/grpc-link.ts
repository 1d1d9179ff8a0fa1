// Size: this package is ~450 code lines, above the ~300 of a link factory, and honestly so: besides the link it
// carries what only gRPC has — no version per message (the Envelope bytes are @statemesh/wire's), the
// status + `statemesh-code` trailer of every refusal (refusal-status.ts), TLS and mutual-TLS credentials with the
// certificate names a Hello is checked against (security.ts), bearer tokens, keepalive and message-size channel
// options (link-options.ts), and the served side's wait for the dialler's half-close (a status ends a call both
// ways). No protocol logic is here: the Hello, dispatch, liveness and splitting are @statemesh/protocol's.
import { status as Status, type ClientDuplexStream, type ServerDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { StatemeshError, type ErrorCode, type Link, type LinkEvents, type LinkFrame } from '@statemesh/contracts';
import { LinkLifecycle, MAX_HELLO_BYTES, SendBacklog } from '@statemesh/protocol';
import { PROTOCOL_VERSION, decodeRawEnvelope, encodeRawEnvelope } from '@statemesh/wire';
import { errorOfStatus, refusalStatus } from './refusal-status.js';

/** Frame kind 8, `Goodbye`: the only kind a link acts on (see {@link GrpcLink.end}). */
const GOODBYE_KIND = 8;

/** Either end of a `Channel` call, carrying Envelope bytes. */
export type ChannelCall = ClientDuplexStream<Buffer, Buffer> | ServerDuplexStream<Buffer, Buffer>;

/** How a {@link GrpcLink} is set up by its listener or dialer. */
export interface GrpcLinkSetup {
  /** The other end, as the link reports it (`grpc://host:port`). */
  readonly remoteAddress: string;
  /** True on the side that opened the call. */
  readonly dialed: boolean;
  /** The names of the other side's verified certificate (see `Link.authenticatedIds`); a dialer sets them once the call is accepted. */
  readonly authenticatedIds?: readonly string[] | undefined;
  /** Bytes handed to grpc-js and not yet written past which `send` returns false until `drain`. */
  readonly highWaterMarkBytes: number;
  /** Largest frame body sent; a larger one closes the link with `FRAME_TOO_LARGE` (the engine splits by it). */
  readonly maxSendBytes: number;
  /** Called once the call is over (the dialer closes its channel, the listener forgets the call). */
  readonly onClosed?: (() => void) | undefined;
}

/**
 * One `statemesh.v1.Replication/Channel` call as a {@link Link}: each gRPC message is one Envelope, its field
 * number the frame kind. Back-pressure counts the bytes grpc-js has been given and not yet written to HTTP/2. Its
 * close is the protocol's {@link LinkLifecycle}: `end` half-closes (or, served, sends a status), a cut cancels.
 */
export class GrpcLink implements Link {
  readonly remoteAddress: string;
  readonly dialed: boolean;
  authenticatedIds: readonly string[] | undefined;
  #maxFrameBytes = MAX_HELLO_BYTES;
  readonly #call: ChannelCall;
  readonly #setup: GrpcLinkSetup;
  readonly #life: LinkLifecycle;
  readonly #backlog: SendBacklog;
  /** gRPC has no version per message: frames are stamped with the version this side last sent at. */
  #version = PROTOCOL_VERSION;
  /** Served side: the client half-closed its side of the call. */
  #peerEnded = false;
  /** Served side: `end()` waits for the client's half-close before it sends the status. */
  #awaitingPeerEnd = false;

  constructor(call: ChannelCall, setup: GrpcLinkSetup) {
    this.#call = call;
    this.#setup = setup;
    this.remoteAddress = setup.remoteAddress;
    this.dialed = setup.dialed;
    this.authenticatedIds = setup.authenticatedIds;
    this.#life = new LinkLifecycle({
      close: (reason, code) => this.#endCall(reason, code),
      cut: (reason, code) => this.#cancel(reason, code),
      finished: () => this.#setup.onClosed?.(),
    });
    this.#backlog = new SendBacklog(setup.highWaterMarkBytes, () => this.#life.drain());
    call.on('data', (bytes: Buffer) => this.#receive(bytes));
    call.on('error', () => {}); // the status (client) or the close below (server) says what happened
    if ('cancel' in call) {
      // A status is how the other side ended the call, not bytes this link could not frame: it goes in the reason.
      call.on('status', (status: StatusObject) => this.#life.finish(status.code === Status.OK ? 'the other side ended the call' : errorOfStatus(status, this.remoteAddress).message));
    } else {
      call.on('cancelled', () => this.#life.finish('the other side cancelled the call, or its connection was lost'));
      call.on('finish', () => this.#life.finish('the call ended'));
      // The client half-closed: end our side too (at once if we were waiting for it), once what is queued has gone.
      call.on('end', () => {
        this.#peerEnded = true;
        if (!this.#life.isClosing) this.end('the other side ended the call');
        else if (this.#awaitingPeerEnd) this.#call.end();
      });
    }
  }

  /** Largest frame body taken from the other side; never above what this link may send (the gRPC message limit). */
  get maxFrameBytes(): number {
    return this.#maxFrameBytes;
  }

  set maxFrameBytes(bytes: number) {
    this.#maxFrameBytes = Math.min(bytes, this.#setup.maxSendBytes);
  }

  /** Bytes handed to grpc-js and not yet written to the HTTP/2 stream. */
  get bufferedBytes(): number {
    return this.#backlog.bytes;
  }

  open(events: LinkEvents): void {
    this.#life.open(events);
  }

  send(frame: LinkFrame): boolean {
    if (this.#life.isClosing) return false;
    if (frame.body.byteLength > this.#setup.maxSendBytes) {
      // The sender's mistake, not bad input: closed without an error, the reason says why.
      this.destroy(`FRAME_TOO_LARGE: a frame of kind ${frame.kind} has ${frame.body.byteLength} bytes, over the ${this.#setup.maxSendBytes} a gRPC message may carry here`, 'FRAME_TOO_LARGE');
      return false;
    }
    this.#version = frame.version;
    const envelope = encodeRawEnvelope(frame);
    const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength); // grpc-js copies Buffers
    this.#backlog.add(bytes.byteLength);
    this.#call.write(bytes, () => this.#backlog.taken(bytes.byteLength));
    return this.#backlog.withinMark();
  }

  /**
   * Sends what is queued, then ends the call; cuts it after `graceMs`. The dialling side half-closes. The served
   * side cannot half-close (a status ends the call both ways), so it waits for the dialler's half-close (which
   * follows its Goodbye) before it sends status OK, and what the dialler sent meanwhile still arrives; with
   * `code`, a refusal, it sends that code's status at once (PROTOCOL.md).
   */
  end(reason: string, graceMs?: number, code?: ErrorCode): void {
    this.#life.end(reason, graceMs, code);
  }

  destroy(reason: string, code?: ErrorCode): void {
    this.#life.destroy(reason, code);
  }

  #endCall(reason: string, code: ErrorCode | undefined): void {
    if ('cancel' in this.#call || this.#peerEnded) this.#call.end();
    else if (code !== undefined) this.#call.emit('error', refusalStatus(code, reason));
    else this.#awaitingPeerEnd = true;
  }

  #cancel(reason: string, code: ErrorCode = 'CLOSED'): void {
    if ('cancel' in this.#call) this.#call.cancel();
    else this.#call.emit('error', refusalStatus(code, reason));
    this.#life.finish(reason);
  }

  #receive(bytes: Buffer): void {
    const [frame] = this.#life.receive(() => {
      const frame = decodeRawEnvelope(bytes, this.#version);
      if (frame.body.byteLength <= this.maxFrameBytes) return [frame];
      const why = `${this.remoteAddress} sent a frame of kind ${frame.kind} with ${frame.body.byteLength} bytes, over this link's limit of ${this.maxFrameBytes}`;
      throw new StatemeshError('FRAME_TOO_LARGE', `@statemesh/transport-grpc: ${why}; the link is closed`);
    });
    // The served side said goodbye and waits for our half-close (a dialler's answer to it, as to a FIN on a socket).
    if (frame?.kind === GOODBYE_KIND && 'cancel' in this.#call) this.end('the other side said goodbye');
  }
}
