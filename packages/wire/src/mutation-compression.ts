import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import type { CodecRegistry, Mutation } from '@statemesh/contracts';
import { decodeFrameBody } from './frame-body-decoder.js';
import { encodeMutationList } from './frame-body-encoder.js';
import { malformedFrame } from './frame-error.js';
import { FRAME_KIND } from './frame.js';
import type { MutationsFrame } from './frame.js';
import { DEFAULT_MAX_FRAME_BYTES } from './ipc-frame.js';

/** Batches whose encoded mutations are smaller than this many bytes are not worth compressing. */
export const DEFAULT_MIN_COMPRESS_BYTES = 256;

/** Options for {@link compressMutations}. */
export interface CompressMutationsOptions {
  /** Where the codec comes from. */
  registry: CodecRegistry;
  /** Codec id; default `zstd` when the registry has it, otherwise the batch is left raw. */
  codec?: string;
  /** Leave batches whose encoded mutations are smaller than this raw (default 256 bytes). */
  minBytes?: number;
}

/** Options for {@link decompressMutations}. */
export interface DecompressMutationsOptions {
  /** Where the codec recorded in the frame comes from. */
  registry: CodecRegistry;
  /** Refuse, with `DECODED_TOO_LARGE`, a batch that decodes to more bytes than this (default 64 MiB). */
  maxDecodedBytes?: number;
}

/**
 * The same batch, codec-encoded as a whole (`compressed` set, `mutations` empty) when that pays: a batch smaller
 * than `minBytes`, one that does not shrink, or one already compressed comes back unchanged.
 */
export async function compressMutations<M extends Mutation>(frame: MutationsFrame<M>, options: CompressMutationsOptions): Promise<MutationsFrame<M>> {
  const { registry } = options;
  const minBytes = options.minBytes ?? DEFAULT_MIN_COMPRESS_BYTES;
  if (!Number.isSafeInteger(minBytes) || minBytes < 0) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/wire: minBytes ${String(minBytes)} is not a non-negative integer`);
  }
  if (frame.compressed !== undefined) return frame;
  const codecId = options.codec ?? (registry.has('zstd') ? 'zstd' : undefined);
  if (codecId === undefined) return frame;
  const codec = registry.get(codecId); // UNKNOWN_CODEC when absent
  const raw = encodeMutationList(frame.mutations);
  if (raw.length < minBytes || raw.length === 0) return frame;
  let data: Uint8Array;
  try {
    data = await codec.encode(raw);
  } catch (error) {
    if (isStatemeshError(error)) throw error;
    throw new StatemeshError('COMPRESSION_FAILED', `@statemesh/wire: codec "${codecId}" failed to encode a ${raw.length}-byte batch; send it raw or fix the codec`, {
      cause: error,
      details: { codec: codecId },
    });
  }
  if (data.length >= raw.length) return frame;
  return { kind: 'mutations', mutations: [], compressed: { codec: codecId, rawSize: raw.length, data } };
}

/**
 * The batch with its mutations decoded from `compressed` (a frame without `compressed` comes back unchanged).
 * Fails with `UNKNOWN_CODEC` when the codec is not registered, `DECODED_TOO_LARGE` past `maxDecodedBytes`,
 * `CORRUPT_INPUT` when the codec rejects the data, `MALFORMED_FRAME` when the decoded bytes are not a valid batch.
 */
export async function decompressMutations(frame: MutationsFrame, options: DecompressMutationsOptions): Promise<MutationsFrame> {
  const c = frame.compressed;
  if (c === undefined) return frame;
  const max = options.maxDecodedBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/wire: maxDecodedBytes ${String(max)} is not a non-negative integer`);
  }
  if (c.rawSize > max) {
    throw new StatemeshError(
      'DECODED_TOO_LARGE',
      `@statemesh/wire: a compressed mutation batch announces ${c.rawSize} decoded bytes, over the limit of ${max}; raise maxDecodedBytes if such batches are legitimate`,
      { details: { size: c.rawSize, max } },
    );
  }
  const codec = options.registry.get(c.codec); // UNKNOWN_CODEC when absent
  let raw: Uint8Array;
  try {
    // Bound by the announced size: a codec stream that decodes to more than it claimed is refused early.
    raw = await codec.decode(c.data, { maxDecodedBytes: c.rawSize });
  } catch (error) {
    if (isStatemeshError(error)) throw error;
    throw new StatemeshError('CORRUPT_INPUT', `@statemesh/wire: codec "${c.codec}" could not decode a compressed mutation batch; the peer sent corrupt data`, {
      cause: error,
      details: { codec: c.codec },
    });
  }
  if (raw.length !== c.rawSize) throw malformedFrame(`a compressed batch decoded to ${raw.length} bytes, not the ${c.rawSize} it announced`);
  const inner = decodeFrameBody(FRAME_KIND.mutations, raw);
  if (inner.kind !== 'mutations' || inner.compressed !== undefined) throw malformedFrame('a compressed batch contains another compressed batch');
  return inner;
}
