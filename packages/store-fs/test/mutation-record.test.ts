// The records of writes are framed in place without the wire encoder: the bytes must be exactly the wire's. The
// writes come checked (`CheckedMutation`): a malformed one never reaches the store (`checkMutation` refuses it).
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMutation } from '@statemesh/contracts';
import type { CheckedMutation } from '@statemesh/contracts';
import { FileReplicaStore, RECORD_KIND, crc32c } from '@statemesh/store-fs';
import { encodeFrameBody } from '@statemesh/wire';
import { seededRandom } from './seeded-random.ts';

const ME = { clusterId: 'bytes', nodeId: 'me' };
let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A record as PROTOCOL.md frames it, from the wire encoder's body. */
function framed(kind: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(13 + body.length);
  out[12] = kind;
  out.set(body, 13);
  out.writeUInt32LE(body.length + 1, 0);
  out.writeUInt32LE(crc32c(out, 12), 4);
  out.writeUInt32LE(crc32c(out, 0, 8), 8);
  return out;
}

function randomMutation(random: (below: number) => number, seq: number): CheckedMutation {
  const origin = ['me', 'peer-2', `node~${'z'.repeat(1 + random(8))}`][random(3)]!;
  const path = Array.from({ length: 1 + random(4) }, () => `s${random(1000)}`).join('.');
  const hlc = [0n, 1n, BigInt(random(1 << 30)) << 20n, (1n << 64n) - 1n][random(4)]!;
  const bigSeq = [seq, 2 ** 31 + seq, Number.MAX_SAFE_INTEGER][random(3)]!;
  const prev = random(2) === 0 ? undefined : { hlc: BigInt(random(1000)), origin: 'peer-2', seq: 1 + random(2 ** 20) };
  if (random(5) === 0) return checkMutation({ origin, seq: bigSeq, hlc, path, op: 'delete', type: '', prev });
  const payload = new Uint8Array(random(300)).map((_, i) => i * 7);
  return checkMutation({ origin, seq: bigSeq, hlc, path, op: 'set', type: ['json', 'bytes', 'volume/f32'][random(3)]!, payload, prev });
}

describe('local and applied records', () => {
  it('are byte for byte what the wire encoder writes, for 300 random batches', async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-bytes-'));
    const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
    await store.open(ME);
    const random = seededRandom(99);
    const expected: Buffer[] = [];
    for (let n = 0; n < 300; n++) {
      const mutations = Array.from({ length: random(4) }, (_, i) => randomMutation(random, n * 10 + i + 1));
      const kind = n % 2 === 0 ? 'local' : 'applied';
      store.append({ kind, mutations });
      expected.push(framed(RECORD_KIND[kind], encodeFrameBody({ kind: 'mutations', mutations })));
    }
    await store.commit();
    await store.close();
    const log = readdirSync(dir).find((name) => name.startsWith('log-'))!;
    const bytes = readFileSync(join(dir, log));
    const tail = Buffer.concat(expected);
    expect(bytes.subarray(bytes.length - tail.length).equals(tail)).toBe(true);
  });

  it('take what only the wire encoder writes (a blob reference) beside what is framed in place', async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-bytes-'));
    const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
    await store.open(ME);
    const good = checkMutation({ origin: 'me', seq: 1, hlc: 5n, path: 'a.b', op: 'set', type: 'json', payload: new Uint8Array([1]) });
    const ref = checkMutation({ ...good, seq: 2, path: 'big', type: 'bytes', payload: { digest: 'ef'.repeat(32), size: 1 << 20, codec: 'raw' } });
    const slowType = checkMutation({ ...good, seq: 3, path: 'c', type: 'text/plain' });
    store.append({ kind: 'local', mutations: [good, ref, slowType] });
    await store.commit();
    await store.close();
    const again = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
    const recovered = await again.open(ME);
    await again.close();
    expect(recovered.entries.map((e) => [e.path, e.type, e.payload]).sort((a, b) => (a[0] as string).localeCompare(b[0] as string))).toEqual([
      ['a.b', 'json', new Uint8Array([1])],
      ['big', 'bytes', { digest: 'ef'.repeat(32), size: 1 << 20, codec: 'raw' }],
      ['c', 'text/plain', new Uint8Array([1])],
    ]);
  });
});
