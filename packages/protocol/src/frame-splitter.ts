import { StatemeshError, type Mutation } from '@statemesh/contracts';
import { encodeFrameBody, type SnapshotPageFrame } from '@statemesh/wire';
import { PACKAGE } from './options.js';

/** Room a frame body needs beside a chunk's bytes (request id, digest, tags). */
export const CHUNK_FRAME_OVERHEAD_BYTES = 256;

/**
 * The bodies of `MutationBatch` frames carrying `batch`, in order: one, or several when the encoded batch would
 * pass `maxFrameBytes` (halved until each fits). A single mutation too large for a frame throws `FRAME_TOO_LARGE`.
 */
export function mutationBodies(batch: readonly Mutation[], maxFrameBytes: number): Uint8Array[] {
  const body = encodeFrameBody({ kind: 'mutations', mutations: batch as Mutation[] });
  if (body.byteLength <= maxFrameBytes) return [body];
  if (batch.length === 1) {
    throw new StatemeshError(
      'FRAME_TOO_LARGE',
      `${PACKAGE}: a mutation of ${batch[0]!.path} encodes to ${body.byteLength} bytes, over maxFrameBytes ${maxFrameBytes}; store large values as blobs (the session does above maxInlinePayloadBytes) or raise maxFrameBytes`,
      { details: { path: batch[0]!.path, size: body.byteLength, max: maxFrameBytes } },
    );
  }
  const half = batch.length >> 1;
  return [...mutationBodies(batch.slice(0, half), maxFrameBytes), ...mutationBodies(batch.slice(half), maxFrameBytes)];
}

/**
 * The bodies of `SnapshotPage` frames carrying `page`, in order, split in halves until each fits `maxFrameBytes`;
 * only the last part keeps `last` and the vector. A single entry too large for a frame is sent as it is (the
 * peer refuses it and asks again later): a value that large is a blob reference in practice.
 */
export function pageBodies(page: SnapshotPageFrame, maxFrameBytes: number): Uint8Array[] {
  const body = encodeFrameBody(page);
  if (body.byteLength <= maxFrameBytes || page.entries.length <= 1) return [body];
  const half = page.entries.length >> 1;
  const first: SnapshotPageFrame = { kind: 'snapshot-page', requestId: page.requestId, entries: page.entries.slice(0, half), last: false };
  const rest: SnapshotPageFrame = { kind: 'snapshot-page', requestId: page.requestId, entries: page.entries.slice(half), last: page.last };
  if (page.vector !== undefined) rest.vector = page.vector;
  return [...pageBodies(first, maxFrameBytes), ...pageBodies(rest, maxFrameBytes)];
}
