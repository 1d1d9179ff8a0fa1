/**
 * The part of a WebSocket this package uses: the standard browser `WebSocket` has it, and so does a `ws` 8
 * WebSocket in Node, so one link serves both.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
  removeEventListener(type: string, listener: (event: never) => void): void;
}

/** A constructor of standard WebSockets (`globalThis.WebSocket`, or `ws`'s class). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `readyState` of an open WebSocket. */
export const OPEN = 1;

/** What a message event carries: text as a string, binary as an ArrayBuffer (browser) or a Buffer (`ws`). */
export interface MessageEventLike {
  readonly data: unknown;
}

/** What a close event carries. */
export interface CloseEventLike {
  readonly code: number;
  readonly reason: string | { toString(): string };
}

/**
 * Hooks a `ws` socket offers beyond the standard API: a callback when a message has left, a hard close, and the
 * largest message accepted (checked from each frame header, before the body is buffered).
 */
export interface NodeSocketHooks {
  send(data: Uint8Array, sent: () => void): void;
  terminate(): void;
  setMaxPayload(bytes: number): void;
}
