import { StatemeshError, type ErrorCode, type Link, type LinkEvents, type LinkFrame } from '@statemesh/contracts';
import { LinkLifecycle, MAX_HELLO_BYTES, every, realTimers } from '@statemesh/protocol';
import { IPC_HEADER_BYTES, IpcFrameReader, encodeRawIpcFrame } from '@statemesh/wire';
import { CLOSE_CODE, closeCodeOf, closeReason } from './close-codes.js';
import { OPEN, type CloseEventLike, type MessageEventLike, type NodeSocketHooks, type WebSocketLike } from './websocket-like.js';

/** Default bytes queued on a WebSocket past which `send` returns false. */
export const DEFAULT_LINK_HIGH_WATER_MARK_BYTES = 1024 * 1024;
/** How often `bufferedAmount` is polled for `drain` where the socket cannot say when a message has left. */
const DRAIN_POLL_MS = 10;

/** Options of a {@link WebSocketLink}. */
export interface WebSocketLinkOptions {
  /** True on the side that dialled. */
  readonly dialed: boolean;
  /** Where the other end is, as a person would write it (`ws://127.0.0.1:54321`). */
  readonly remoteAddress: string;
  /** Bytes queued on the WebSocket past which `send` returns false (default {@link DEFAULT_LINK_HIGH_WATER_MARK_BYTES}). */
  readonly highWaterMarkBytes?: number | undefined;
  /** Node ids proven by the other side's verified certificate (mutual TLS). */
  readonly authenticatedIds?: readonly string[] | undefined;
  /** `ws`'s extras (Node); absent for a standard WebSocket. */
  readonly node?: NodeSocketHooks | undefined;
}

/**
 * One open, authenticated WebSocket as a {@link Link}: one binary message per frame, the 12-byte IPC header of
 * `@statemesh/wire` then the body; a message that is not exactly one frame, or a text message, closes the link.
 * Back-pressure from `bufferedAmount`. Its close is the protocol's {@link LinkLifecycle}: `end` sends a close
 * frame, a cut terminates the socket; a refusal or bad input sends its close code first and cuts after 1 s.
 */
export class WebSocketLink implements Link {
  readonly remoteAddress: string;
  readonly dialed: boolean;
  readonly authenticatedIds: readonly string[] | undefined;
  readonly #socket: WebSocketLike;
  readonly #node: NodeSocketHooks | undefined;
  readonly #reader = new IpcFrameReader({ maxFrameBytes: MAX_HELLO_BYTES });
  readonly #highWaterMarkBytes: number;
  readonly #life: LinkLifecycle;
  #blocked = false;
  /** Stops the `bufferedAmount` poll of a standard WebSocket. */
  #stopPoll: (() => void) | undefined;

  constructor(socket: WebSocketLike, options: WebSocketLinkOptions) {
    this.#socket = socket;
    this.#node = options.node;
    this.dialed = options.dialed;
    this.remoteAddress = options.remoteAddress;
    this.authenticatedIds = options.authenticatedIds;
    this.#highWaterMarkBytes = options.highWaterMarkBytes ?? DEFAULT_LINK_HIGH_WATER_MARK_BYTES;
    this.#life = new LinkLifecycle({
      close: (reason, code) => this.#closeFrame(reason, code),
      cut: (reason, code, badInput) => this.#cut(reason, code, badInput),
      finished: () => this.#stopPoll?.(),
    });
    this.maxFrameBytes = MAX_HELLO_BYTES;
    socket.binaryType = options.node === undefined ? 'arraybuffer' : 'nodebuffer';
    socket.addEventListener('message', (event: MessageEventLike) => this.#life.receive(() => this.#read(event.data)));
    socket.addEventListener('error', (event: { error?: { code?: string; message?: string } }) => this.#failed(event.error));
    socket.addEventListener('close', (event: CloseEventLike) => {
      this.#life.finish(`the other side closed the WebSocket (code ${event.code}${String(event.reason) === '' ? '' : `: ${String(event.reason)}`})`);
    });
  }

  get maxFrameBytes(): number {
    return this.#reader.maxFrameBytes;
  }

  set maxFrameBytes(bytes: number) {
    this.#reader.maxFrameBytes = bytes;
    // `ws` then refuses a longer message from its frame header, before buffering it (close code 1009).
    this.#node?.setMaxPayload(Math.min(bytes + IPC_HEADER_BYTES, 0x7fffffff));
  }

  get bufferedBytes(): number {
    return this.#socket.bufferedAmount;
  }

  open(events: LinkEvents): void {
    this.#life.open(events);
  }

  send(frame: LinkFrame): boolean {
    if (this.#life.isClosing || this.#socket.readyState !== OPEN) return false;
    const message = encodeRawIpcFrame(frame);
    if (this.#node === undefined) this.#socket.send(message);
    else this.#node.send(message, () => this.#checkDrain());
    if (this.#socket.bufferedAmount < this.#highWaterMarkBytes) return true;
    if (!this.#blocked) {
      this.#blocked = true;
      // A standard WebSocket never says when a message has left: look at bufferedAmount until it has fallen.
      if (this.#node === undefined) this.#stopPoll = every(realTimers, DRAIN_POLL_MS, () => this.#checkDrain());
    }
    return false;
  }

  /** `code`, a refusal: the close frame carries its close code and a reason starting with it (PROTOCOL.md). */
  end(reason: string, graceMs?: number, code?: ErrorCode): void {
    this.#life.end(reason, graceMs, code);
  }

  /** Without `code`, cuts the socket; with one, sends its close frame first and cuts after 1 s without an answer. */
  destroy(reason: string, code?: ErrorCode): void {
    this.#life.destroy(reason, code);
  }

  /** One message: exactly one whole frame, or bad input. */
  #read(data: unknown): readonly LinkFrame[] {
    if (typeof data === 'string') throw badFrame('a text message came after the auth message; frames are binary messages');
    const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
    if (bytes === undefined) throw badFrame('a message is neither text nor binary');
    const frames = this.#reader.push(bytes);
    if (frames.length !== 1 || this.#reader.bufferedBytes !== 0) throw badFrame(`a message of ${bytes.byteLength} bytes is not exactly one frame (header and body)`);
    return frames;
  }

  #failed(cause: { code?: string; message?: string } | undefined): void {
    let error: StatemeshError | undefined;
    if (cause?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      error = new StatemeshError(
        'FRAME_TOO_LARGE',
        `@statemesh/transport-websocket: the other side sent a message over the limit of ${this.maxFrameBytes + IPC_HEADER_BYTES} bytes; raise maxFrameBytes if such frames are legitimate`,
        { cause, details: { max: this.maxFrameBytes } },
      );
    } else if (cause?.code?.startsWith('WS_ERR_') === true) {
      error = badFrame(`the WebSocket framing is broken (${cause.message ?? cause.code})`);
    }
    this.#life.note(`WebSocket error${cause?.message === undefined ? '' : `: ${cause.message}`}`, error);
  }

  #closeFrame(reason: string, code: ErrorCode | undefined): void {
    // A close frame follows what is queued; the other side answers it and the socket closes.
    if (code === undefined) this.#close(CLOSE_CODE.normal, reason);
    else this.#close(closeCodeOf(code), `${code}: ${reason}`);
  }

  #cut(reason: string, code: ErrorCode | undefined, badInput: StatemeshError | undefined): void {
    if (badInput === undefined && (code === undefined || this.#life.isCutScheduled)) {
      this.#hardClose();
      return;
    }
    if (badInput === undefined) this.#closeFrame(reason, code);
    else this.#close(badInput.code === 'FRAME_TOO_LARGE' ? CLOSE_CODE.frameTooLarge : CLOSE_CODE.badFrame, badInput.message);
    this.#life.cutAfter(1_000); // the other side's answer to the close frame, or a cut
  }

  #checkDrain(): void {
    if (!this.#blocked || this.#life.isClosed || this.#socket.bufferedAmount >= this.#highWaterMarkBytes) return;
    this.#blocked = false;
    this.#stopPoll?.();
    this.#life.drain();
  }

  #close(code: number, reason: string): void {
    try {
      this.#socket.close(code, closeReason(reason));
    } catch {
      this.#hardClose();
    }
  }

  #hardClose(): void {
    if (this.#node !== undefined) {
      this.#node.terminate();
      return;
    }
    // A standard WebSocket has no hard close: report the link closed now, whatever the socket does after.
    try {
      this.#socket.close(CLOSE_CODE.normal);
    } catch {
      // Already closing.
    }
    this.#life.finish('the WebSocket closed');
  }
}

function badFrame(why: string): StatemeshError {
  return new StatemeshError('MALFORMED_FRAME', `@statemesh/transport-websocket: ${why}; close the connection (see PROTOCOL.md)`);
}
