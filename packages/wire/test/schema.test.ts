import protobuf from 'protobufjs';
import { FRAME_KIND, REPLICATION_PROTO_PATH, decodeEnvelope, encodeEnvelope } from '@statemesh/wire';
import { describe, expect, it } from 'vitest';
import { DIGEST, HLC_ABOVE_2_53, sampleFrames, setMutation } from './sample-frames.ts';

// The .proto is the source of truth: these tests parse it with protobufjs's own reflection (as a grpc loader or
// another language would) and check that our bytes and its bytes mean the same thing.
const root = protobuf.loadSync(REPLICATION_PROTO_PATH);
const Envelope = root.lookupType('statemesh.v1.Envelope');

describe('replication.proto', () => {
  it('numbers the Envelope oneof fields as the frame kinds', () => {
    const byName = Object.fromEntries(Envelope.fieldsArray.map((field) => [field.name, field.id]));
    expect(byName).toEqual({
      hello: FRAME_KIND.hello,
      mutations: FRAME_KIND.mutations,
      snapshotRequest: FRAME_KIND.snapshotRequest,
      snapshotPage: FRAME_KIND.snapshotPage,
      chunkRequest: FRAME_KIND.chunkRequest,
      chunkResponse: FRAME_KIND.chunkResponse,
      heartbeat: FRAME_KIND.heartbeat,
      goodbye: FRAME_KIND.goodbye,
    });
    expect(root.lookupService('statemesh.v1.Replication').methods['Channel']).toMatchObject({ requestStream: true, responseStream: true });
  });

  it.each(sampleFrames.map((frame) => [frame.kind, frame] as const))(
    'a %s frame survives a decode and re-encode by the schema, losing nothing',
    (_kind, frame) => {
      const message = Envelope.decode(encodeEnvelope(frame));
      expect(decodeEnvelope(Envelope.encode(message).finish())).toStrictEqual(frame);
    },
  );

  it('means the same fields as the schema: hlc exact, op enum, payload oneof, vector map', () => {
    const hello = Envelope.toObject(Envelope.decode(encodeEnvelope(sampleFrames[0]!)), { longs: String });
    expect(hello).toEqual({
      hello: { node: 'node-a', cluster: 'c1', minVersion: 1, maxVersion: 3, vector: { seqs: { 'node-a': '7', 'node-b': '0' } }, interests: ['scene', ''], capabilities: ['zstd'] },
    });
    const batch = Envelope.toObject(Envelope.decode(encodeEnvelope({ kind: 'mutations', mutations: [setMutation] })), {
      longs: String,
      enums: String,
      bytes: Array,
      oneofs: true,
    });
    expect(batch).toEqual({
      frame: 'mutations',
      mutations: {
        mutations: [
          {
            origin: 'node-a',
            seq: '7',
            hlc: HLC_ABOVE_2_53.toString(),
            prev: { hlc: (HLC_ABOVE_2_53 - 5n).toString(), origin: 'node-b', seq: '3' },
            path: 'scene.camera.fov',
            op: 'OP_SET',
            type: 'json',
            inline: [...new TextEncoder().encode('42')],
            payload: 'inline',
          },
        ],
      },
    });
  });

  it('decodes what the schema encodes, including a 64-bit hlc above 2^53', () => {
    const hlc = 2n ** 63n + 987_654_321n;
    const message = Envelope.fromObject({
      mutations: {
        mutations: [
          { origin: 'py-client', seq: 1, hlc: hlc.toString(), path: 'x.y', op: 'OP_DELETE' },
          { origin: 'py-client', seq: 2, hlc: '5', path: 'x.z', op: 'OP_SET', type: 'bytes', blob: { digest: DIGEST, size: 3, codec: 'raw' } },
        ],
      },
    });
    expect(decodeEnvelope(Envelope.encode(message).finish())).toStrictEqual({
      kind: 'mutations',
      mutations: [
        { hlc, origin: 'py-client', seq: 1, path: 'x.y', op: 'delete', type: '' },
        { hlc: 5n, origin: 'py-client', seq: 2, path: 'x.z', op: 'set', type: 'bytes', payload: { digest: DIGEST, size: 3, codec: 'raw' } },
      ],
    });
  });
});
