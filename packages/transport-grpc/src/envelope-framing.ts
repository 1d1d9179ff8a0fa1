import { StatemeshError, type LinkFrame } from '@statemesh/contracts';

const LEN = 2;

/**
 * The bytes of the `Envelope` carrying `frame`: one length-delimited field whose number is the frame kind. The
 * body is copied as it is, never decoded.
 */
export function envelopeOf(frame: LinkFrame): Buffer {
  const tag = varint(frame.kind * 8 + LEN);
  const length = varint(frame.body.byteLength);
  const out = Buffer.allocUnsafe(tag.length + length.length + frame.body.byteLength);
  out.set(tag, 0);
  out.set(length, tag.length);
  out.set(frame.body, tag.length + length.length);
  return out;
}

/**
 * The frame in the bytes of one `Envelope`, its body a view of `bytes`; `version` is stamped on it (gRPC carries
 * none per message). Throws `MALFORMED_FRAME` unless the Envelope is exactly one length-delimited field.
 */
export function frameOf(bytes: Uint8Array, version: number): LinkFrame {
  const tag = readVarint(bytes, 0);
  const length = tag === undefined ? undefined : readVarint(bytes, tag.next);
  if (tag === undefined || length === undefined) throw malformed('its field header does not parse');
  const kind = Math.floor(tag.value / 8);
  if (tag.value % 8 !== LEN || kind < 1 || kind > 0xffff) throw malformed(`field ${kind} with wire type ${tag.value % 8} is not a frame`);
  if (length.next + length.value !== bytes.byteLength) throw malformed('it is not exactly one frame');
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

function malformed(why: string): StatemeshError {
  return new StatemeshError('MALFORMED_FRAME', `@statemesh/transport-grpc: a message is not an Envelope of one frame (${why}); the link is closed`);
}
