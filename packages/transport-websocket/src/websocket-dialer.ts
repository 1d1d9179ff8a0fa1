import { StatemeshError, type Dialer, type Link } from '@statemesh/contracts';
import { checkLinkToken, dialAttempt, type DialProgress } from '@statemesh/protocol';
import { READY_MESSAGE, encodeAuthMessage } from './auth-message.js';
import { CLOSE_CODE } from './close-codes.js';
import { WebSocketLink } from './websocket-link.js';
import type { CloseEventLike, MessageEventLike, NodeSocketHooks, WebSocketLike } from './websocket-like.js';

/** Options of `websocketDialer`, in Node and in browsers. */
export interface WebsocketDialerOptions {
  /** The listener's token, sent in the first message (never in the URL). */
  readonly token?: string | undefined;
  /** Bytes queued on the WebSocket past which `send` returns false (default 1 MiB). */
  readonly highWaterMarkBytes?: number | undefined;
  /** How long to wait for the socket to open and the token to be accepted (default 10 000 ms). */
  readonly handshakeTimeoutMs?: number | undefined;
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
export function dialerOver(url: string, options: WebsocketDialerOptions, open: (url: string) => OpenedSocket): Dialer {
  const address = checkUrl(url);
  const token = checkLinkToken(PACKAGE, 'token', options.token, { expected: false });
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  return {
    address,
    dial(signal?: AbortSignal): Promise<Link> {
      return dialAttempt<Link>({ source: PACKAGE, address, signal, timeoutMs }, (progress) => {
        const opened = open(address);
        handshake(address, opened, token, options, progress);
        return () => {
          if (opened.node !== undefined) opened.node.terminate();
          else opened.socket.close(CLOSE_CODE.normal);
        };
      });
    },
  };
}

/** Sends the auth message once the socket opens, and reports the listener's answer (or its close) to `progress`. */
function handshake(address: string, opened: OpenedSocket, token: string | undefined, options: WebsocketDialerOptions, progress: DialProgress<Link>): void {
  const { socket, node } = opened;
  let error: string | undefined;
  const listeners = {
    open: (): void => socket.send(encodeAuthMessage(token)),
    message: (event: MessageEventLike): void => {
      stop();
      if (event.data !== READY_MESSAGE) {
        progress.failed(new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: ${address} answered the auth message with something else than statemesh-ready; is it a statemesh node?`));
        return;
      }
      // The link listens from here on, so the frames that follow the answer reach it.
      progress.connected(new WebSocketLink(socket, { dialed: true, remoteAddress: address, highWaterMarkBytes: options.highWaterMarkBytes, node }));
    },
    error: (event: { message?: string; error?: { message?: string } }): void => {
      error ??= event.error?.message ?? event.message;
    },
    close: (event: CloseEventLike): void => {
      stop();
      const reason = String(event.reason);
      const said = `${event.code}${reason === '' ? '' : `: ${reason}`}`;
      if (event.code === CLOSE_CODE.unauthorized || event.code === CLOSE_CODE.badFirstMessage) {
        progress.failed(new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: ${address} refused this node (${said}); check the token`, { details: { code: event.code } }));
      } else progress.failed({ message: error ?? said, details: { code: event.code } });
    },
  };
  const stop = (): void => {
    for (const [name, listener] of Object.entries(listeners)) socket.removeEventListener(name, listener);
  };
  for (const [name, listener] of Object.entries(listeners)) socket.addEventListener(name, listener);
}
