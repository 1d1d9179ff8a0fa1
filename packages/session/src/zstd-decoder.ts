import { DEFAULT_MAX_DECODED_BYTES, StatemeshError, type Codec } from '@statemesh/contracts';
import { Decompress } from 'fzstd';

const PREFIX = '@statemesh/session:';

/**
 * A decode-only `zstd` codec for browsers, on `fzstd` (pure JavaScript, no `node:` module): chunks that Node
 * peers compressed decode here. Decoding streams block by block, so an input that would decode past
 * `maxDecodedBytes` fails with `DECODED_TOO_LARGE` before it is all in memory; a corrupt one with `CORRUPT_INPUT`.
 * Encoding is refused: a browser writes its own chunks with `raw` or `rle`.
 */
export const zstdDecoder: Codec = {
  id: 'zstd',
  encode: () =>
    Promise.reject(new StatemeshError('COMPRESSION_FAILED', `${PREFIX} the browser build decodes zstd but cannot encode it; set blobCodec to 'raw' or 'rle'`)),
  decode(data, options) {
    const max = options?.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
    try {
      return Promise.resolve(decodeWithin(data, max));
    } catch (error) {
      return Promise.reject(error instanceof StatemeshError ? error : new StatemeshError('CORRUPT_INPUT', `${PREFIX} zstd input does not decode (${describe(error)}); it is truncated or not zstd`, { cause: error }));
    }
  },
};

function decodeWithin(data: Uint8Array, max: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  const stream = new Decompress((part, final) => {
    size += part.byteLength;
    if (size > max) {
      throw new StatemeshError('DECODED_TOO_LARGE', `${PREFIX} zstd input decodes to more than ${max} bytes; raise maxDecodedBytes if this value is legitimate`, {
        details: { size, max },
      });
    }
    parts.push(part);
    if (final === true) ended = true;
  });
  if (data.byteLength === 0) throw new StatemeshError('CORRUPT_INPUT', `${PREFIX} zstd input is empty; it is truncated or not zstd`);
  stream.push(data, true);
  if (!ended) throw new StatemeshError('CORRUPT_INPUT', `${PREFIX} zstd input ends inside a frame; it is truncated`);
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
