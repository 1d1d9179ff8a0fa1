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
      ack: FRAME_KIND.ack,
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

describe('replication.proto coverage', () => {
  // Every field of every message, filled from the schema itself: if a field is added to the .proto and the codec
  // does not carry it, the re-encoded bytes lose it and this fails.
  const VALUES: Record<string, unknown> = {
    node: 'n1', cluster: 'c1', origin: 'n2', path: 'a.b', type: 'json', codec: 'zstd', digest: DIGEST, reason: 'bye', error: 'oops',
    minVersion: 1, maxVersion: 2, pageSize: 9,
  };
  const REPEATED: Record<string, unknown> = { interests: 'a.b', capabilities: 'zstd', prefixes: 'a', held: DIGEST };

  function fill(type: protobuf.Type, variant: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    // Of each oneof, only the member picked by `variant` is set.
    const oneofMembers = new Set<string>();
    for (const oneof of type.oneofsArray) for (const [i, f] of oneof.fieldsArray.entries()) if (i !== variant % oneof.fieldsArray.length) oneofMembers.add(f.name);
    for (const field of type.fieldsArray) {
      if (oneofMembers.has(field.name)) continue;
      field.resolve();
      const value = field.resolvedType instanceof protobuf.Type ? fill(field.resolvedType, variant) : scalar(field);
      if (field.map) out[field.name] = { n3: 4 };
      else out[field.name] = field.repeated ? [REPEATED[field.name] ?? value] : value;
    }
    if (type.name === 'Entry') out['tombstone'] = false;
    if (type.name === 'ChunkResponse') out['found'] = true;
    if (type.name === 'MutationBatch') delete out[variant % 2 === 0 ? 'compressed' : 'mutations'];
    return out;
  }

  function scalar(field: protobuf.Field): unknown {
    if (field.name in VALUES) return VALUES[field.name];
    if (field.resolvedType instanceof protobuf.Enum) return 1;
    switch (field.type) {
      case 'fixed64': return (2n ** 63n + 7n).toString();
      case 'uint64': case 'uint32': return 5;
      case 'bool': return true;
      case 'bytes': return new Uint8Array([1, 2, 3]);
      default: return 'x';
    }
  }

  for (const field of Envelope.fieldsArray) {
    for (const variant of [0, 1]) {
      it(`carries every field of ${field.name} (variant ${variant})`, () => {
        const message = Envelope.fromObject({ [field.name]: fill(root.lookupType(`statemesh.v1.${field.type}`), variant) });
        const bytes = Envelope.encode(message).finish();
        const again = encodeEnvelope(decodeEnvelope(bytes) as Parameters<typeof encodeEnvelope>[0]);
        const view = (b: Uint8Array): unknown => Envelope.toObject(Envelope.decode(b), { longs: String, bytes: Array, defaults: false });
        expect(view(again)).toEqual(view(bytes));
      });
    }
  }
});
