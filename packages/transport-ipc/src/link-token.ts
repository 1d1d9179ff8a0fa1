import type { Socket } from 'node:net';
import { tokensMatch } from '@statemesh/protocol';
import { IPC_HEADER_BYTES, IPC_MAGIC, encodeIpcHeader } from '@statemesh/wire';

/** The IPC frame kind of the token a dialer presents on TCP before its Hello (PROTOCOL.md of this package). */
export const LINK_TOKEN_KIND = 64;
/** Longest token accepted, in UTF-8 bytes. */
export const MAX_LINK_TOKEN_BYTES = 1024;

/** The token frame: the IPC header (version 1, kind 64), then the token's UTF-8 bytes. */
export function linkTokenFrame(token: string): Buffer {
  const body = Buffer.from(token, 'utf8');
  return Buffer.concat([Buffer.from(encodeIpcHeader(LINK_TOKEN_KIND, 1, body.byteLength)), body]);
}

/**
 * Reads the first frame of an accepted connection and resolves true when it is the token frame carrying
 * `expected` (compared in constant time). Bytes after it are handed back to the socket for the link to read.
 * Resolves false on anything else, on a connection that closes first, or after `timeoutMs`; never reads more
 * than one token frame's worth.
 */
export function readLinkToken(socket: Socket, expected: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let held = Buffer.alloc(0);
    const finish = (ok: boolean, rest?: Buffer): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (ok && rest !== undefined && rest.byteLength > 0) socket.unshift(rest);
      resolve(ok);
    };
    const onData = (chunk: Buffer): void => {
      held = Buffer.concat([held, chunk]);
      if (held.byteLength < IPC_HEADER_BYTES) return;
      const length = held.readUInt32LE(8);
      if (held.readUInt32LE(0) !== IPC_MAGIC || held.readUInt16LE(6) !== LINK_TOKEN_KIND || length > MAX_LINK_TOKEN_BYTES) return finish(false);
      if (held.byteLength < IPC_HEADER_BYTES + length) return;
      finish(tokensMatch(held.subarray(IPC_HEADER_BYTES, IPC_HEADER_BYTES + length), expected), held.subarray(IPC_HEADER_BYTES + length));
    };
    const onClose = (): void => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
