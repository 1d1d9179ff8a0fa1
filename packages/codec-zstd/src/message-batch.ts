import { type Codec, type DecodeOptions, StatemeshError } from '@statemesh/contracts';

/**
 * Packs many small messages into one encoded payload: each message as an unsigned LEB128 length and its bytes,
 * the whole encoded once by `codec` (one zstd frame for the zstd codec). Each `encode` of `@mongodb-js/zstd` is a
 * round trip through the libuv thread pool, so compressing messages one by one caps out near ten thousand a
 * second; a batch pays that cost once. Layout in PROTOCOL.md.
 */
export async function encodeMessageBatch(codec: Codec, messages: readonly Uint8Array[]): Promise<Uint8Array> {
  let size = 0;
  for (const message of messages) {
    if (!(message instanceof Uint8Array)) {
      throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/codec-zstd: encodeMessageBatch takes an array of Uint8Array messages');
    }
    size += varintLength(message.byteLength) + message.byteLength;
  }
  const packed = new Uint8Array(size);
  let offset = 0;
  for (const message of messages) {
    let length = message.byteLength;
    while (length >= 0x80) {
      packed[offset++] = (length & 0x7f) | 0x80;
      length = Math.floor(length / 128);
    }
    packed[offset++] = length;
    packed.set(message, offset);
    offset += message.byteLength;
  }
  return codec.encode(packed);
}

/**
 * Unpacks what {@link encodeMessageBatch} wrote with the same codec. The messages are views into one decoded
 * buffer (no copies). `maxDecodedBytes` bounds the whole decoded batch. Throws `CORRUPT_INPUT` when the lengths
 * do not add up, and whatever the codec throws (`DECODED_TOO_LARGE`, `CORRUPT_INPUT`).
 */
export async function decodeMessageBatch(codec: Codec, data: Uint8Array, options?: DecodeOptions): Promise<Uint8Array[]> {
  const packed = await codec.decode(data, options);
  const messages: Uint8Array[] = [];
  let offset = 0;
  while (offset < packed.byteLength) {
    let length = 0;
    let scale = 1;
    for (;;) {
      if (offset >= packed.byteLength || scale > 2 ** 49) throw truncated(offset);
      const byte = packed[offset++]!;
      length += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) break;
    }
    if (offset + length > packed.byteLength) throw truncated(offset);
    messages.push(packed.subarray(offset, offset + length));
    offset += length;
  }
  return messages;
}

function varintLength(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

function truncated(offset: number): StatemeshError {
  return new StatemeshError(
    'CORRUPT_INPUT',
    `@statemesh/codec-zstd: a message batch is malformed at byte ${offset} of its decoded content; it was not written by encodeMessageBatch or is cut short`,
    { details: { offset } },
  );
}
