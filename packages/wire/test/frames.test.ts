import { isStatemeshError } from '@statemesh/contracts';
import {
  FRAME_KIND,
  FRAME_KIND_OF,
  IPC_HEADER_BYTES,
  IpcFrameDecoder,
  decodeEnvelope,
  decodeFrameBody,
  encodeEnvelope,
  encodeFrameBody,
  encodeIpcFrame,
} from '@statemesh/wire';
import type { Frame, OutgoingFrame } from '@statemesh/wire';
import { describe, expect, it } from 'vitest';
import { HLC_ABOVE_2_53, sampleFrames, setMutation } from './sample-frames.ts';

describe('frame bodies', () => {
  it.each(sampleFrames.map((frame) => [frame.kind, frame] as const))('round-trips a %s frame', (_kind, frame) => {
    const body = encodeFrameBody(frame);
    expect(decodeFrameBody(FRAME_KIND_OF[frame.kind], body)).toStrictEqual(frame);
  });

  it('keeps a 64-bit hlc exact above 2^53', () => {
    for (const hlc of [2n ** 53n + 1n, 2n ** 63n + 12345n, 2n ** 64n - 1n, HLC_ABOVE_2_53]) {
      const frame: OutgoingFrame = { kind: 'mutations', mutations: [{ ...setMutation, hlc, prev: { hlc: hlc - 1n, origin: 'p', seq: 1 } }] };
      const decoded = decodeFrameBody(FRAME_KIND.mutations, encodeFrameBody(frame));
      expect(decoded.kind === 'mutations' && decoded.mutations[0]!.hlc).toBe(hlc);
      expect(decoded.kind === 'mutations' && decoded.mutations[0]!.prev!.hlc).toBe(hlc - 1n);
    }
  });

  it('returns byte fields that are copies, not views of the input', () => {
    const body = new Uint8Array(encodeFrameBody({ kind: 'mutations', mutations: [setMutation] }));
    const decoded = decodeFrameBody(FRAME_KIND.mutations, body);
    body.fill(0);
    expect(decoded.kind === 'mutations' && decoded.mutations[0]!.payload).toEqual(setMutation.payload);
  });

  it('gives each small payload its own bytes (shared slabs, never the input) and chunk data a buffer of its own', () => {
    const payloads = Array.from({ length: 300 }, (_, i) => new TextEncoder().encode(JSON.stringify({ i, pad: 'x'.repeat(i % 90) })));
    const mutations = payloads.map((payload, i) => ({ ...setMutation, seq: i + 1, path: `scene.k${i}`, payload }));
    const body = new Uint8Array(encodeFrameBody({ kind: 'mutations', mutations }));
    const decoded = decodeFrameBody(FRAME_KIND.mutations, body);
    body.fill(0);
    if (decoded.kind !== 'mutations') throw new Error('expected mutations');
    expect(decoded.mutations.map((m) => m.payload)).toEqual(payloads);
    (decoded.mutations[0]!.payload as Uint8Array).fill(0xff); // writing one payload leaves its slab neighbours alone
    expect(decoded.mutations.slice(1).map((m) => m.payload)).toEqual(payloads.slice(1));
    const data = new Uint8Array([1, 2, 3]);
    const chunk = decodeFrameBody(FRAME_KIND.chunkResponse, encodeFrameBody({ kind: 'chunk-response', requestId: 1, digest: 'a'.repeat(64), found: true, data }));
    expect(chunk.kind === 'chunk-response' && [chunk.data.byteOffset, chunk.data.buffer.byteLength, [...chunk.data]]).toEqual([0, 3, [1, 2, 3]]);
  });

  it('keeps a vector entry for a node named "__proto__" as data', () => {
    const vector = JSON.parse('{"__proto__": 4, "b": 2}') as Record<string, number>;
    const decoded = decodeFrameBody(FRAME_KIND.snapshotRequest, encodeFrameBody({ kind: 'snapshot-request', requestId: 1, prefixes: [], vector }));
    expect(decoded.kind === 'snapshot-request' && Object.entries(decoded.vector!)).toEqual([['__proto__', 4], ['b', 2]]);
  });

  it('decodes a kind it does not know as an unknown frame', () => {
    expect(decodeFrameBody(99, new Uint8Array([1, 2, 3]))).toEqual({ kind: 'unknown', code: 99 });
  });
});

describe('envelopes', () => {
  it.each(sampleFrames.map((frame) => [frame.kind, frame] as const))('round-trips a %s frame', (_kind, frame) => {
    expect(decodeEnvelope(encodeEnvelope(frame))).toStrictEqual(frame);
  });

  it('decodes an envelope whose field is a kind it does not know as an unknown frame', () => {
    // field 15, wire type 2, 3 bytes
    expect(decodeEnvelope(new Uint8Array([(15 << 3) | 2, 3, 1, 2, 3]))).toEqual({ kind: 'unknown', code: 15 });
  });

  it('skips fields it does not know beside a frame (a newer peer may add some)', () => {
    const frame: Frame = { kind: 'heartbeat', node: 'n', sentAtMs: 3 };
    const withExtra = new Uint8Array([...encodeEnvelope(frame), (14 << 3) | 0, 1, (13 << 3) | 2, 2, 9, 9]);
    expect(decodeEnvelope(withExtra)).toStrictEqual(frame);
  });
});

describe('IPC frames', () => {
  it('writes the 12-byte little-endian header: "SMSH", version, kind, body length', () => {
    const frame: Frame = { kind: 'goodbye', reason: 'x' };
    const bytes = encodeIpcFrame(frame, { version: 2 });
    const body = encodeFrameBody(frame);
    expect([...bytes.subarray(0, IPC_HEADER_BYTES)]).toEqual([0x53, 0x4d, 0x53, 0x48, 2, 0, 8, 0, body.length, 0, 0, 0]);
    expect([...bytes.subarray(IPC_HEADER_BYTES)]).toEqual([...body]);
  });

  it('decodes many frames from one read and frames split across reads', () => {
    const stream = concat(sampleFrames.map((frame) => encodeIpcFrame(frame)));
    const whole = new IpcFrameDecoder().push(stream);
    expect(whole.map((f) => f.frame)).toStrictEqual(sampleFrames);
    expect(whole.every((f) => f.version === 1)).toBe(true);

    const decoder = new IpcFrameDecoder();
    const got = [];
    for (let i = 0; i < stream.length; i++) got.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(got.map((f) => f.frame)).toStrictEqual(sampleFrames);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('fails with BAD_MAGIC on a stream that is not statemesh, and stays failed', () => {
    const decoder = new IpcFrameDecoder();
    const error = catchError(() => decoder.push(new TextEncoder().encode('GET / HTTP/1.1\r\n')));
    expect(isStatemeshError(error, 'BAD_MAGIC')).toBe(true);
    expect(isStatemeshError(catchError(() => decoder.push(encodeIpcFrame({ kind: 'goodbye', reason: '' }))), 'BAD_MAGIC')).toBe(true);
  });
});


function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
