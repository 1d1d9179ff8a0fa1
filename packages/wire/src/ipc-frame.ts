import protobuf from 'protobufjs/minimal.js';
import { StatemeshError } from '@statemesh/contracts';
import { writeFrameBody } from './frame-body-encoder.js';
import { invalidFrame } from './frame-error.js';
import { FRAME_KIND_OF, PROTOCOL_VERSION } from './frame.js';
import type { OutgoingFrame } from './frame.js';

/** Bytes of the IPC frame header: magic u32, version u16, kind u16, body length u32, all little-endian. */
export const IPC_HEADER_BYTES = 12;
/** Largest frame body an {@link IpcFrameDecoder} accepts unless told otherwise: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** The IPC magic: the bytes "SMSH" (0x53 0x4d 0x53 0x48), read as a little-endian u32. */
export const IPC_MAGIC = 0x48534d53;

const HEADER_PLACEHOLDER = new Uint8Array(IPC_HEADER_BYTES);

/** One IPC frame: the 12-byte header, then the protobuf body. `version` (default 1) is the header's protocol version. */
export function encodeIpcFrame(frame: OutgoingFrame, options?: { version?: number }): Uint8Array {
  const version = options?.version ?? PROTOCOL_VERSION;
  if (!Number.isInteger(version) || version < 1 || version > 0xffff) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/wire: IPC frame version ${String(version)} is not an integer in 1-65535`, {
      details: { version },
    });
  }
  const kind = typeof frame === 'object' && frame !== null ? FRAME_KIND_OF[frame.kind] : undefined;
  const writer = protobuf.Writer.create();
  writer.raw(HEADER_PLACEHOLDER);
  writeFrameBody(writer, frame); // validates, including an unknown kind
  const bytes = writer.finish();
  const length = bytes.length - IPC_HEADER_BYTES;
  if (length > 0xffffffff) throw invalidFrame(`its body is ${length} bytes, over the 4 GiB the header can describe`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, IPC_HEADER_BYTES);
  view.setUint32(0, IPC_MAGIC, true);
  view.setUint16(4, version, true);
  view.setUint16(6, kind ?? 0, true);
  view.setUint32(8, length, true);
  return bytes;
}
