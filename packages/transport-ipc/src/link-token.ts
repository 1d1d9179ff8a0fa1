import type { Socket } from 'node:net';
import { MAX_LINK_TOKEN_BYTES } from '@statemesh/protocol';
import { IPC_HEADER_BYTES, IPC_MAGIC, encodeIpcHeader } from '@statemesh/wire';

/** The IPC frame kind of the token a dialer presents on TCP before its Hello (PROTOCOL.md of this package). */
export const LINK_TOKEN_KIND = 64;

/** The token frame: the IPC header (version 1, kind 64), then the token's UTF-8 bytes. */
export function linkTokenFrame(token: string): Buffer {
  const body = Buffer.from(token, 'utf8');
  return Buffer.concat([Buffer.from(encodeIpcHeader(LINK_TOKEN_KIND, 1, body.byteLength)), body]);
}

/**
 * Reads the first frame of an accepted connection: `done` gets the body of the token frame (the bytes after it
 * handed back to the socket, paused, for the link to read), or undefined when the frame is anything else. Never
 * reads more than one token frame's worth. Returns a function that stops reading (the socket closed first).
 */
export function readLinkToken(socket: Socket, done: (token: Uint8Array | undefined) => void): () => void {
  let held = Buffer.alloc(0);
  const finish = (token: Uint8Array | undefined, rest?: Buffer): void => {
    stop();
    socket.pause();
    if (rest !== undefined && rest.byteLength > 0) socket.unshift(rest);
    done(token);
  };
  const onData = (chunk: Buffer): void => {
    held = Buffer.concat([held, chunk]);
    if (held.byteLength < IPC_HEADER_BYTES) return;
    const length = held.readUInt32LE(8);
    if (held.readUInt32LE(0) !== IPC_MAGIC || held.readUInt16LE(6) !== LINK_TOKEN_KIND || length > MAX_LINK_TOKEN_BYTES) return finish(undefined);
    if (held.byteLength < IPC_HEADER_BYTES + length) return;
    finish(held.subarray(IPC_HEADER_BYTES, IPC_HEADER_BYTES + length), held.subarray(IPC_HEADER_BYTES + length));
  };
  const stop = (): void => {
    socket.off('data', onData);
  };
  socket.on('data', onData);
  return stop;
}
