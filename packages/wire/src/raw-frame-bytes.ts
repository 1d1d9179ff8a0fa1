import type { IpcRawFrame } from './ipc-frame-reader.js';
import { encodeIpcHeader } from './ipc-frame-reader.js';
import { IPC_HEADER_BYTES } from './ipc-frame.js';
import { malformedFrame } from './frame-error.js';

const LEN = 2;

/**
 * The bytes of a frame whose body is already encoded, as one IPC frame (12-byte header, then the body), in one
 * buffer: what a link that carries whole messages (WebSocket, in-process) sends. The body is copied, not decoded.
 */
export function encodeRawIpcFrame(frame: IpcRawFrame): Uint8Array {
  const bytes = new Uint8Array(IPC_HEADER_BYTES + frame.body.byteLength);
  bytes.set(encodeIpcHeader(frame.kind, frame.version, frame.body.byteLength), 0);
  bytes.set(frame.body, IPC_HEADER_BYTES);
  return bytes;
}

/**
 * The bytes of the `Envelope` carrying a frame whose body is already encoded: one length-delimited field whose
 * number is the frame kind (one gRPC message). The body is copied as it is, never decoded.
 */
export function encodeRawEnvelope(frame: IpcRawFrame): Uint8Array {
  const tag = varint(frame.kind * 8 + LEN);
  const length = varint(frame.body.byteLength);
  const out = new Uint8Array(tag.length + length.length + frame.body.byteLength);
  out.set(tag, 0);
  out.set(length, tag.length);
  out.set(frame.body, tag.length + length.length);
  return out;
}

/**
 * The frame in the bytes of one `Envelope`, its body a view of `bytes`, stamped with `version` (an Envelope
 * carries none). Throws `MALFORMED_FRAME` unless the Envelope is exactly one length-delimited field.
 */
export function decodeRawEnvelope(bytes: Uint8Array, version: number): IpcRawFrame {
  const tag = readVarint(bytes, 0);
  const length = tag === undefined ? undefined : readVarint(bytes, tag.next);
  if (tag === undefined || length === undefined) throw malformedFrame('the envelope field header does not parse');
  const kind = Math.floor(tag.value / 8);
  if (tag.value % 8 !== LEN || kind < 1 || kind > 0xffff) throw malformedFrame(`envelope field ${kind} with wire type ${tag.value % 8} is not a frame`);
  if (length.next + length.value !== bytes.byteLength) throw malformedFrame('the envelope is not exactly one frame');
  return { kind, version, body: bytes.subarray(length.next) };
}

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 1, i = at; i < bytes.byteLength && i < at + 5; i++, shift *= 128) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}
