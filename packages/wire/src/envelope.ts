import protobuf from 'protobufjs/minimal.js';
import { isStatemeshError } from '@statemesh/contracts';
import { decodeFrom, isKnownKind, readerOf } from './frame-body-decoder.js';
import { writeFrameBody } from './frame-body-encoder.js';
import { malformedFrame } from './frame-error.js';
import { FRAME_KIND_OF } from './frame.js';
import type { Frame, OutgoingFrame, UnknownFrame } from './frame.js';

const LEN = 2;

/** The protobuf `Envelope` carrying `frame` (oneof field number = frame kind): one gRPC stream message. */
export function encodeEnvelope(frame: OutgoingFrame): Uint8Array {
  const writer = protobuf.Writer.create();
  const kind = typeof frame === 'object' && frame !== null ? FRAME_KIND_OF[frame.kind] : undefined;
  writer.uint32(((kind ?? 0) << 3) | LEN);
  writer.fork();
  writeFrameBody(writer, frame); // validates, including an unknown kind
  writer.ldelim();
  return writer.finish();
}

/**
 * The frame in a protobuf `Envelope`. Fields of numbers this version does not know are skipped (a newer peer may
 * add some); an Envelope holding only such fields is an `UnknownFrame` with the first one's number. Throws
 * `MALFORMED_FRAME` for anything else: unparsable bytes, no field at all, two frames, invalid content.
 */
export function decodeEnvelope(bytes: Uint8Array): Frame | UnknownFrame {
  if (!(bytes instanceof Uint8Array)) throw malformedFrame('the envelope is not a Uint8Array');
  const reader = readerOf(bytes);
  const end = bytes.length;
  let frame: Frame | undefined;
  let unknown: UnknownFrame | undefined;
  try {
    while (reader.pos < end) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      if (!isKnownKind(field)) {
        reader.skipType(tag & 7, 0, field);
        unknown ??= { kind: 'unknown', code: field };
        continue;
      }
      if (frame !== undefined) throw malformedFrame('the envelope carries more than one frame');
      if ((tag & 7) !== LEN) throw malformedFrame(`envelope field ${field} has wire type ${tag & 7}, not a message`);
      const length = reader.uint32();
      const stop = reader.pos + length;
      if (stop > end) throw malformedFrame(`the frame of ${length} bytes runs past the end of the envelope`);
      frame = decodeFrom(field, reader, stop);
    }
  } catch (error) {
    if (isStatemeshError(error)) throw error;
    throw malformedFrame(`the envelope does not parse as protobuf (${(error as Error)?.message ?? String(error)})`, error);
  }
  const result = frame ?? unknown;
  if (result === undefined) throw malformedFrame('the envelope carries no frame');
  return result;
}
