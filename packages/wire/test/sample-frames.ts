import { checkEntries, checkMutations, type Mutation } from '@statemesh/contracts';
import type { Frame } from '@statemesh/wire';

/** A well-formed SHA-256 digest. */
export const DIGEST = 'ab'.repeat(32);
/** A realistic hybrid time, far above 2^53. */
export const HLC_ABOVE_2_53 = (1_732_000_000_000n << 16n) | 0x1234n; // a real hybrid time is far above 2^53

/** A set with an inline payload and a prev version. */
export const setMutation: Mutation = {
  hlc: HLC_ABOVE_2_53,
  origin: 'node-a',
  seq: 7,
  path: 'scene.camera.fov',
  op: 'set',
  type: 'json',
  payload: new TextEncoder().encode('42'),
  prev: { hlc: HLC_ABOVE_2_53 - 5n, origin: 'node-b', seq: 3 },
};

/** One valid example of every frame kind. */
export const sampleFrames: Frame[] = [
  { kind: 'hello', node: 'node-a', cluster: 'c1', minVersion: 1, maxVersion: 3, vector: { 'node-a': 7, 'node-b': 0 }, interests: ['scene', ''], capabilities: ['zstd'] },
  { kind: 'hello', node: 'node-b', cluster: 'c1', minVersion: 1, maxVersion: 1, vector: {}, interests: [], capabilities: [], heartbeatIntervalMs: 250, instance: 'f3a9c1' },
  {
    kind: 'mutations',
    mutations: checkMutations([
      setMutation,
      { hlc: 1n, origin: 'n', seq: 1, path: 'a', op: 'delete', type: '' },
      { hlc: 0xffff_ffff_ffff_ffffn, origin: 'n', seq: Number.MAX_SAFE_INTEGER, path: 'max', op: 'set', type: 'bytes', payload: new Uint8Array(0) },
      { hlc: 9n, origin: 'n', seq: 2, path: 'big.volume', op: 'set', type: 'volume/f32', payload: { digest: DIGEST, size: 1 << 30, codec: 'zstd' } },
    ]),
  },
  { kind: 'mutations', mutations: [] },
  { kind: 'mutations', mutations: [], compressed: { codec: 'zstd', rawSize: 1000, data: new Uint8Array([1, 2, 3]) } },
  { kind: 'snapshot-request', requestId: 0, prefixes: [] },
  { kind: 'snapshot-request', requestId: 2 ** 40, prefixes: ['a', 'b.c'], vector: {}, pageSize: 500 },
  {
    kind: 'snapshot-page',
    requestId: 4,
    entries: checkEntries([
      { path: 'a.b', version: { hlc: HLC_ABOVE_2_53, origin: 'x', seq: 1 }, tombstone: false, type: 'text', payload: new Uint8Array([104, 105]) },
      { path: 'a.c', version: { hlc: 5n, origin: 'y', seq: 9 }, tombstone: true, type: '' },
      { path: 'a.d', version: { hlc: 6n, origin: 'y', seq: 10 }, tombstone: false, type: 'bytes', payload: { digest: DIGEST, size: 0, codec: 'raw' } },
      { path: 'a.e', version: { hlc: 7n, origin: 'y~0mx56dhn8b01f', seq: 1 }, tombstone: false, type: 'json', payload: new Uint8Array([49]), prev: { hlc: 6n, origin: 'x', seq: 1 } },
      { path: 'a.f', version: { hlc: 8n, origin: 'y', seq: 11 }, tombstone: false, type: 'json', payload: new Uint8Array([50]), prev: null },
      { path: 'a.g', version: { hlc: 9n, origin: 'y', seq: 12 }, tombstone: true, type: '', prev: { hlc: 8n, origin: 'y', seq: 11 } },
    ]),
    last: true,
    vector: { x: 1, y: 10 },
  },
  { kind: 'snapshot-page', requestId: 5, entries: [], last: true, error: '' },
  { kind: 'snapshot-page', requestId: 5, entries: [], last: false },
  { kind: 'chunk-request', requestId: 11, digest: DIGEST },
  { kind: 'chunk-response', requestId: 11, digest: DIGEST, found: true, data: new Uint8Array([9, 8, 7]) },
  { kind: 'chunk-response', requestId: 12, digest: DIGEST, found: false, data: new Uint8Array(0) },
  { kind: 'heartbeat', node: 'node-a', sentAtMs: 1_732_000_000_123 },
  { kind: 'heartbeat', node: 'node-a', sentAtMs: 1_732_000_000_124, links: ['node-b', 'node-c'] },
  { kind: 'heartbeat', node: 'node-a', sentAtMs: 1_732_000_000_125, links: ['node-b'], linkCount: 70 },
  { kind: 'goodbye', reason: 'shutting down — bye' },
  { kind: 'goodbye', reason: '' },
  { kind: 'goodbye', reason: 'node b at unix:/tmp/b.sock belongs to cluster theirs', code: 'CLUSTER_MISMATCH' },
  { kind: 'ack', vector: {} },
  { kind: 'ack', vector: { a: 1, 'node-b': Number.MAX_SAFE_INTEGER } },
  { kind: 'ack', vector: { a: 1 }, held: ['a'.repeat(64), '0123456789abcdef'.repeat(4)] },
];

