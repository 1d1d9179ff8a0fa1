import protobuf from 'protobufjs';
import { isStatemeshError } from '@statemesh/contracts';
import type { ErrorCode } from '@statemesh/contracts';
import {
  FRAME_KIND,
  FRAME_KIND_OF,
  IPC_HEADER_BYTES,
  MAX_ACK_HELD,
  MAX_HEARTBEAT_LINKS,
  IpcFrameDecoder,
  REPLICATION_PROTO_PATH,
  decodeEnvelope,
  decodeFrameBody,
  encodeEnvelope,
  encodeFrameBody,
  encodeIpcFrame,
} from '@statemesh/wire';
import type { Frame } from '@statemesh/wire';
import { describe, expect, it } from 'vitest';
import { DIGEST, sampleFrames, setMutation } from './sample-frames.ts';

const root = protobuf.loadSync(REPLICATION_PROTO_PATH);
const MutationBatch = root.lookupType('statemesh.v1.MutationBatch');

function codeOf(fn: () => unknown): ErrorCode | 'none' | 'not a StatemeshError' {
  try {
    fn();
    return 'none';
  } catch (error) {
    return isStatemeshError(error) ? error.code : 'not a StatemeshError';
  }
}

/** A mutation as a peer could send it, built with the schema's reflection, with some fields overridden. */
function batchBytes(mutation: Record<string, unknown>): Uint8Array {
  const valid = { origin: 'n1', seq: 1, hlc: '99', path: 'a.b', op: 'OP_SET', type: 'json', inline: new Uint8Array([1]) };
  return MutationBatch.encode(MutationBatch.fromObject({ mutations: [{ ...valid, ...mutation }] })).finish();
}

function header(kind: number, length: number, version = 1): Uint8Array {
  const bytes = new Uint8Array(IPC_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set([0x53, 0x4d, 0x53, 0x48]);
  view.setUint16(4, version, true);
  view.setUint16(6, kind, true);
  view.setUint32(8, length, true);
  return bytes;
}

describe('decoding refuses invalid content with MALFORMED_FRAME', () => {
  it('accepts the valid baseline', () => {
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.mutations, batchBytes({})))).toBe('none');
  });

  it.each([
    ['an invalid path', { path: 'a..b' }],
    ['a path with a space', { path: 'scene camera' }],
    ['an invalid origin', { origin: 'node/1' }],
    ['an empty origin', { origin: '' }],
    ['seq 0', { seq: 0 }],
    ['seq above 2^53', { seq: '9007199254740993' }],
    ['an unknown op', { op: 7 }],
    ['op unspecified', { op: 'OP_UNSPECIFIED' }],
    ['a set without payload', { inline: undefined }],
    ['a set with an empty type', { type: '' }],
    ['a set with a type that is not a value type', { type: 'a b' }],
    ['a set of the root path', { path: '' }],
    ['a delete with a payload', { op: 'OP_DELETE', type: '' }],
    ['a malformed blob digest', { inline: undefined, blob: { digest: 'ABC', size: 1, codec: 'raw' } }],
    ['an uppercase blob digest', { inline: undefined, blob: { digest: DIGEST.toUpperCase(), size: 1, codec: 'raw' } }],
    ['a blob ref without codec', { inline: undefined, blob: { digest: DIGEST, size: 1, codec: '' } }],
    ['an invalid prev origin', { prev: { hlc: '1', origin: 'bad id', seq: 1 } }],
    ['a prev with seq 0', { prev: { hlc: '1', origin: 'n2', seq: 0 } }],
  ])('a mutation with %s', (_what, fields) => {
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.mutations, batchBytes(fields)))).toBe('MALFORMED_FRAME');
  });

  it.each([
    ['Hello', { node: 'a b', cluster: 'c', minVersion: 1, maxVersion: 1 }, FRAME_KIND.hello],
    ['Hello', { node: 'a', cluster: '', minVersion: 1, maxVersion: 1 }, FRAME_KIND.hello],
    ['Hello', { node: 'a', cluster: 'c', minVersion: 2, maxVersion: 1 }, FRAME_KIND.hello],
    ['Hello', { node: 'a', cluster: 'c', minVersion: 0, maxVersion: 1 }, FRAME_KIND.hello],
    ['Hello', { node: 'a', cluster: 'c', minVersion: 1, maxVersion: 70000 }, FRAME_KIND.hello],
    ['Hello', { node: 'a', cluster: 'c', minVersion: 1, maxVersion: 1, vector: { seqs: { 'no good': 1 } } }, FRAME_KIND.hello],
    ['Hello', { node: 'a', cluster: 'c', minVersion: 1, maxVersion: 1, interests: ['x.'] }, FRAME_KIND.hello],
    ['ChunkRequest', { requestId: 1, digest: 'zz' }, FRAME_KIND.chunkRequest],
    ['ChunkResponse', { requestId: 1, digest: DIGEST, found: false, data: new Uint8Array([1]) }, FRAME_KIND.chunkResponse],
    ['Heartbeat', { node: '', sentAtMs: 1 }, FRAME_KIND.heartbeat],
    ['SnapshotRequest', { requestId: 1, prefixes: ['ok', '-bad-.'] }, FRAME_KIND.snapshotRequest],
    ['SnapshotRequest', { requestId: 1, pageSize: 0 }, FRAME_KIND.snapshotRequest],
    ['SnapshotPage', { requestId: 1, entries: [{ path: 'a', tombstone: true }] }, FRAME_KIND.snapshotPage],
    ['SnapshotPage', { requestId: 1, entries: [{ path: 'a', version: { hlc: '1', origin: 'o', seq: 1 }, tombstone: true, inline: new Uint8Array(1) }] }, FRAME_KIND.snapshotPage],
    ['SnapshotPage', { requestId: 1, entries: [{ path: 'a', version: { hlc: '1', origin: 'o', seq: 1 }, type: 'json' }] }, FRAME_KIND.snapshotPage],
    ['MutationBatch', { mutations: [{ origin: 'n', seq: 1, hlc: '1', path: 'a', op: 'OP_DELETE' }], compressed: { codec: 'zstd', rawSize: 1 } }, FRAME_KIND.mutations],
    ['MutationBatch', { compressed: { codec: '', rawSize: 1 } }, FRAME_KIND.mutations],
  ] as const)('a %s with invalid content (%#)', (type, fields, kind) => {
    const Type = root.lookupType(`statemesh.v1.${type}`);
    const bytes = Type.encode(Type.fromObject(fields)).finish();
    expect(codeOf(() => decodeFrameBody(kind, bytes))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodeEnvelope(encodeEnvelopeBytes(kind, bytes)))).toBe('MALFORMED_FRAME');
  });

  it('truncated bodies of every kind', () => {
    for (const frame of sampleFrames) {
      const body = encodeFrameBody(frame);
      for (let cut = 1; cut < body.length; cut++) {
        const code = codeOf(() => decodeFrameBody(FRAME_KIND_OF[frame.kind], body.subarray(0, body.length - cut)));
        // A cut on a field boundary may leave a shorter valid frame; anything else must be MALFORMED_FRAME.
        expect(['none', 'MALFORMED_FRAME']).toContain(code);
      }
    }
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.mutations, encodeFrameBody({ kind: 'mutations', mutations: [setMutation] }).subarray(0, 20)))).toBe('MALFORMED_FRAME');
  });

  it('envelopes that carry no frame, two frames, or a frame that is not a message', () => {
    expect(codeOf(() => decodeEnvelope(new Uint8Array(0)))).toBe('MALFORMED_FRAME');
    const goodbye = encodeEnvelope({ kind: 'goodbye', reason: 'x' });
    const two = new Uint8Array([...goodbye, ...goodbye]);
    expect(codeOf(() => decodeEnvelope(two))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodeEnvelope(new Uint8Array([(FRAME_KIND.heartbeat << 3) | 0, 1])))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodeEnvelope(new Uint8Array([0x12, 0x7f, 1])))).toBe('MALFORMED_FRAME');
  });
});

// The mutations and entries a frame carries are checked by the decoder (above), not the encoder: they come from a
// shard or a decoder, already checked (CheckedMutation). The rest of a frame is still checked on the way out.
describe('encoding refuses invalid frames with INVALID_ARGUMENT', () => {
  it.each([
    ['an unknown kind', { kind: 'gossip' }],
    ['a bad digest', { kind: 'chunk-request', requestId: 1, digest: 'nope' }],
    ['a bad node id', { kind: 'heartbeat', node: 'x'.repeat(65), sentAtMs: 0 }],
    ['null', null],
  ])('%s', (_what, frame) => {
    expect(codeOf(() => encodeFrameBody(frame as Frame))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeEnvelope(frame as Frame))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeIpcFrame(frame as Frame))).toBe('INVALID_ARGUMENT');
  });

  it('refuses an IPC header version outside 1-65535', () => {
    for (const version of [0, 65536, 1.5]) expect(codeOf(() => encodeIpcFrame({ kind: 'goodbye', reason: '' }, { version }))).toBe('INVALID_ARGUMENT');
  });
});

describe('IpcFrameDecoder on a hostile stream', () => {
  it('refuses an oversize frame from its header alone, before buffering any body', () => {
    const decoder = new IpcFrameDecoder();
    expect(codeOf(() => decoder.push(header(FRAME_KIND.mutations, 64 * 1024 * 1024 + 1)))).toBe('FRAME_TOO_LARGE');
    expect(decoder.bufferedBytes).toBe(0);
    const small = new IpcFrameDecoder({ maxFrameBytes: 100 });
    expect(small.push(header(FRAME_KIND.goodbye, 100)).length).toBe(0);
    expect(codeOf(() => new IpcFrameDecoder({ maxFrameBytes: 100 }).push(header(FRAME_KIND.goodbye, 101)))).toBe('FRAME_TOO_LARGE');
    // A frame of an unknown kind is held to the limit too, though it would only be skipped.
    expect(codeOf(() => new IpcFrameDecoder({ maxFrameBytes: 100 }).push(header(999, 101)))).toBe('FRAME_TOO_LARGE');
  });

  it('buffers a split frame only up to its announced length', () => {
    const frame = encodeIpcFrame({ kind: 'chunk-response', requestId: 1, digest: DIGEST, found: true, data: new Uint8Array(10_000).fill(7) });
    const decoder = new IpcFrameDecoder();
    expect(decoder.push(frame.subarray(0, 5000))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(5000 - IPC_HEADER_BYTES);
    const [done] = decoder.push(frame.subarray(5000));
    expect(done?.frame.kind).toBe('chunk-response');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('fails with BAD_MAGIC on the first wrong byte, even before a whole header has arrived', () => {
    expect(codeOf(() => new IpcFrameDecoder().push(new Uint8Array([0x53, 0x4d, 0x00])))).toBe('BAD_MAGIC');
    expect(codeOf(() => new IpcFrameDecoder().push(new TextEncoder().encode('TCVC')))).toBe('BAD_MAGIC');
    const afterAFrame = new Uint8Array([...encodeIpcFrame({ kind: 'goodbye', reason: '' }), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(codeOf(() => new IpcFrameDecoder().push(afterAFrame))).toBe('BAD_MAGIC');
  });

  it('refuses protocol version 0 and a body that does not parse, then stays poisoned', () => {
    expect(codeOf(() => new IpcFrameDecoder().push(header(FRAME_KIND.goodbye, 0, 0)))).toBe('MALFORMED_FRAME');
    const decoder = new IpcFrameDecoder();
    expect(codeOf(() => decoder.push(new Uint8Array([...header(FRAME_KIND.hello, 3), 0x0a, 0x05, 0x61])))).toBe('MALFORMED_FRAME');
    expect(decoder.error?.code).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decoder.push(encodeIpcFrame({ kind: 'goodbye', reason: '' })))).toBe('MALFORMED_FRAME');
  });

  it('hands frames of unknown kinds on as unknown, bounded by maxFrameBytes, and goes on with the next frame', () => {
    const unknownBody = new Uint8Array(1000).fill(0xee);
    const stream = new Uint8Array([
      ...header(99, unknownBody.length, 7),
      ...unknownBody,
      ...header(0, 0),
      ...encodeIpcFrame({ kind: 'heartbeat', node: 'n', sentAtMs: 5 }),
    ]);
    const decoder = new IpcFrameDecoder();
    const got = [...decoder.push(stream.subarray(0, 500))];
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(500); // the unknown body so far: never more than one frame
    got.push(...decoder.push(stream.subarray(500)));
    expect(got).toEqual([
      { version: 7, frame: { kind: 'unknown', code: 99 } },
      { version: 1, frame: { kind: 'unknown', code: 0 } },
      { version: 1, frame: { kind: 'heartbeat', node: 'n', sentAtMs: 5 } },
    ]);
  });

  it('returns the version each header carries (negotiation is the transport’s job)', () => {
    const [got] = new IpcFrameDecoder().push(encodeIpcFrame({ kind: 'goodbye', reason: 'r' }, { version: 3 }));
    expect(got).toEqual({ version: 3, frame: { kind: 'goodbye', reason: 'r' } });
  });

  it('refuses bad options and bad chunks with INVALID_ARGUMENT', () => {
    for (const maxFrameBytes of [-1, 1.5, 2 ** 32, Number.NaN]) expect(codeOf(() => new IpcFrameDecoder({ maxFrameBytes }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new IpcFrameDecoder().push('text' as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
  });
});

function encodeEnvelopeBytes(kind: number, body: Uint8Array): Uint8Array {
  const writer = protobuf.Writer.create();
  writer.uint32((kind << 3) | 2);
  writer.bytes(body);
  return writer.finish();
}

describe('an Ack listing held large values', () => {
  const Ack = root.lookupType('statemesh.v1.Ack');
  const ackBytes = (held: string[]): Uint8Array => Ack.encode(Ack.fromObject({ vector: { seqs: {} }, held })).finish();

  it('decodes the digests as the schema encodes them', () => {
    const frame = decodeFrameBody(FRAME_KIND.ack, ackBytes([DIGEST, 'b'.repeat(64)]));
    expect(frame).toEqual({ kind: 'ack', vector: {}, held: [DIGEST, 'b'.repeat(64)] });
  });

  it('refuses a malformed digest and a list over MAX_ACK_HELD with MALFORMED_FRAME', () => {
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.ack, ackBytes(['not-a-digest'])))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.ack, ackBytes(Array.from({ length: MAX_ACK_HELD + 1 }, () => DIGEST))))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.ack, ackBytes(Array.from({ length: MAX_ACK_HELD }, () => DIGEST))))).toBe('none');
    expect(codeOf(() => encodeFrameBody({ kind: 'ack', vector: {}, held: ['A'.repeat(64)] }))).toBe('INVALID_ARGUMENT');
  });
});

describe('a Heartbeat announcing the sender\'s links', () => {
  const Heartbeat = root.lookupType('statemesh.v1.Heartbeat');
  const heartbeatBytes = (links: string[], linkCount = 0): Uint8Array => Heartbeat.encode(Heartbeat.fromObject({ node: 'n', sentAtMs: 5, links, linkCount })).finish();

  it('decodes the links as the schema encodes them; an old peer\'s heartbeat has none', () => {
    expect(decodeFrameBody(FRAME_KIND.heartbeat, heartbeatBytes(['a', 'b'], 3))).toEqual({ kind: 'heartbeat', node: 'n', sentAtMs: 5, links: ['a', 'b'], linkCount: 3 });
    expect(decodeFrameBody(FRAME_KIND.heartbeat, heartbeatBytes([]))).toStrictEqual({ kind: 'heartbeat', node: 'n', sentAtMs: 5 });
  });

  it('refuses a bad id, a list over MAX_HEARTBEAT_LINKS and a count below the list with MALFORMED_FRAME', () => {
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.heartbeat, heartbeatBytes(['not an id'])))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.heartbeat, heartbeatBytes(Array.from({ length: MAX_HEARTBEAT_LINKS + 1 }, (_, i) => `n${i}`))))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.heartbeat, heartbeatBytes(Array.from({ length: MAX_HEARTBEAT_LINKS }, (_, i) => `n${i}`))))).toBe('none');
    expect(codeOf(() => decodeFrameBody(FRAME_KIND.heartbeat, heartbeatBytes(['a', 'b'], 1)))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => encodeFrameBody({ kind: 'heartbeat', node: 'n', sentAtMs: 5, links: ['a b'] }))).toBe('INVALID_ARGUMENT');
  });
});
