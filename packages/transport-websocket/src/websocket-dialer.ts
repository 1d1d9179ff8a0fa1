import { StatemeshError, type Dialer, type Link } from '@statemesh/contracts';
import { READY_MESSAGE, encodeAuthMessage } from './auth-message.js';
import { CLOSE_CODE } from './close-codes.js';
import { WebSocketLink, unref } from './websocket-link.js';
import type { CloseEventLike, MessageEventLike, NodeSocketHooks, WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/** Options of `websocketDialer`, in Node and in browsers. */
export interface WebsocketDialerOptions {
  /** The listener's token, sent in the first message (never in the URL). */
  readonly token?: string | undefined;
  /** Bytes queued on the WebSocket past which `send` returns false (default 1 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
  /** How long to wait for the socket to open and the token to be accepted (default 10 000 ms). */
  readonly handshakeTimeoutMs?: number | undefined;
  /** A standard WebSocket constructor to use instead of the global one (tests, old runtimes). */
  readonly WebSocket?: WebSocketConstructor | undefined;
}

/** A socket opened for dialling, with `ws`'s hooks when it is one. */
export interface OpenedSocket {
  readonly socket: WebSocketLike;
  readonly node?: NodeSocketHooks | undefined;
}

const PACKAGE = '@statemesh/transport-websocket';

/** Checks a `ws://` or `wss://` URL; throws `INVALID_CONFIG`, in particular when it carries credentials. */
export function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: ${JSON.stringify(url)} is not a URL; write it as ws://host:port/statemesh or wss://...`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: ${url} is not a ws:// or wss:// URL`);
  }
  if (parsed.username !== '' || parsed.password !== '' || /token/i.test(parsed.search)) {
    throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: ${parsed.host}: credentials never go in the URL (logs and proxies keep URLs); pass the token as options.token`);
  }
  return parsed.href;
}

/**
 * A {@link Dialer} to `url` over sockets made by `open`: it opens the socket, sends the auth message, and resolves
 * with a link once the listener answers `statemesh-ready`. A refused token rejects with `UNAUTHENTICATED`.
 */
export function dialerOver(url: string, options: WebsocketDialerOptions, open: (url: string) => Promise<OpenedSocket>): Dialer {
  const address = checkUrl(url);
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  return {
    address,
    async dial(signal?: AbortSignal): Promise<Link> {
      if (signal?.aborted === true) throw new StatemeshError('CANCELLED', `${PACKAGE}: dialling ${address} was cancelled`);
      let opened: OpenedSocket;
      try {
        opened = await open(address);
      } catch (error) {
        if (error instanceof StatemeshError) throw error;
        throw new StatemeshError('IO_ERROR', `${PACKAGE}: cannot open a WebSocket to ${address} (${(error as Error).message})`, { cause: error });
      }
      return handshake(address, opened, options, timeoutMs, signal);
    },
  };
}

function handshake(address: string, opened: OpenedSocket, options: WebsocketDialerOptions, timeoutMs: number, signal: AbortSignal | undefined): Promise<Link> {
  const { socket, node } = opened;
  return new Promise<Link>((resolve, reject) => {
    let error: string | undefined;
    const done = (outcome: Link | StatemeshError): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('error', onError);
      socket.removeEventListener('close', onClose);
      if (outcome instanceof StatemeshError) {
        drop();
        reject(outcome);
      } else resolve(outcome);
    };
    const drop = (): void => {
      if (node !== undefined) node.terminate();
      else socket.close(CLOSE_CODE.normal);
    };
    const onAbort = (): void => done(new StatemeshError('CANCELLED', `${PACKAGE}: dialling ${address} was cancelled`));
    const onOpen = (): void => socket.send(encodeAuthMessage(options.token));
    const onMessage = (event: MessageEventLike): void => {
      if (event.data !== READY_MESSAGE) {
        done(new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: ${address} answered the auth message with something else than statemesh-ready; is it a statemesh node?`));
        return;
      }
      // The link listens from here on, so the frames that follow the answer reach it.
      done(new WebSocketLink(socket, { dialed: true, remoteAddress: address, highWaterMarkBytes: options.highWaterMarkBytes, node }));
    };
    const onError = (event: { message?: string; error?: { message?: string } }): void => {
      error ??= event.error?.message ?? event.message;
    };
    const onClose = (event: CloseEventLike): void => {
      const reason = String(event.reason);
      const said = `${event.code}${reason === '' ? '' : `: ${reason}`}`;
      if (event.code === CLOSE_CODE.unauthorized || event.code === CLOSE_CODE.badFirstMessage) {
        done(new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: ${address} refused this node (${said}); check the token`, { details: { code: event.code } }));
      } else {
        done(new StatemeshError('IO_ERROR', `${PACKAGE}: cannot connect to ${address} (${error ?? said}); is the node there running?`, { details: { code: event.code } }));
      }
    };
    const timer = unref(
      setTimeout(() => done(new StatemeshError('TIMEOUT', `${PACKAGE}: ${address} did not accept the connection within ${timeoutMs} ms`)), timeoutMs),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.addEventListener('open', onOpen);
    socket.addEventListener('message', onMessage);
    socket.addEventListener('error', onError);
    socket.addEventListener('close', onClose);
  });
}

/** Opens a standard WebSocket (browser, Node 22+, or the one given in the options). */
export function standardSocket(constructor: WebSocketConstructor): (url: string) => Promise<OpenedSocket> {
  return (url) => {
    const socket = new constructor(url);
    socket.binaryType = 'arraybuffer';
    return Promise.resolve({ socket });
  };
}
