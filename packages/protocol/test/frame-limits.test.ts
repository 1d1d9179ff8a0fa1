// Frames are split by each link's own limit: a node bridging a link of large frames (IPC) and one of small
// frames (gRPC's 4 MiB, here 100 kB) sends whole batches on the first and split ones on the second.
import { afterEach, describe, expect, it } from 'vitest';
import { checkEntry, type CheckedEntry, type Mutation } from '@statemesh/contracts';
import { RecordingHost, waitFor } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { pairEndpoint, type PairLink } from './fixtures/pair-link.ts';

const SMALL = 100_000;
let engines: ProtocolTransport[] = [];
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
});

const mutation = (seq: number): Mutation => ({ origin: 'a', seq, hlc: BigInt(seq) << 16n, path: `scene.item${seq}`, op: 'set', type: 'bytes', payload: new Uint8Array(200).fill(seq % 256) });
const entry = (seq: number): CheckedEntry => checkEntry({ path: `scene.item${seq}`, version: { hlc: BigInt(seq) << 16n, origin: 'a', seq }, tombstone: false, type: 'bytes', payload: new Uint8Array(200) });

async function bridge() {
  const big = pairEndpoint('pair://big');
  const small = pairEndpoint('pair://small', SMALL);
  const hostA = new RecordingHost({ entries: Array.from({ length: 2_000 }, (_, i) => entry(i + 1)) });
  const hostB = new RecordingHost();
  const hostC = new RecordingHost();
  const a = new ProtocolTransport({ nodeId: 'a', clusterId: 'c', listeners: [big.listener, small.listener], onError: () => undefined });
  const b = new ProtocolTransport({ nodeId: 'b', clusterId: 'c', dialers: [big.dialer], onError: () => undefined });
  const c = new ProtocolTransport({ nodeId: 'c', clusterId: 'c', dialers: [small.dialer], onError: () => undefined });
  engines.push(a, b, c);
  await a.start(hostA);
  await b.start(hostB);
  await c.start(hostC);
  await waitFor(() => a.peers().length === 2, { message: 'b and c are up at a' });
  return { a, b, c, hostB, hostC, toB: big.links[0]!, toC: small.links[0]! };
}

const sizes = (link: PairLink, kind: number) => link.received.filter((f) => f.kind === kind).map((f) => f.bytes);

describe('frame limits per link', () => {
  it('splits a batch for the link of small frames only, every mutation arriving in order', async () => {
    const { a, hostB, hostC, toB, toC } = await bridge();
    const batch = Array.from({ length: 2_000 }, (_, i) => mutation(i + 1));
    expect(a.publish(batch)).toBe(2);
    const seqs = (host: RecordingHost) => host.batches.flatMap((received) => received.batch.map((m) => m.seq));
    await waitFor(() => seqs(hostB).length === 2_000 && seqs(hostC).length === 2_000, { message: 'the batch at b and c' });
    expect(seqs(hostB)).toEqual(batch.map((m) => m.seq));
    expect(seqs(hostC)).toEqual(batch.map((m) => m.seq));
    expect(sizes(toB, 2)).toHaveLength(1); // ~450 kB in one frame: the engine's limit is far above
    expect(sizes(toB, 2)[0]).toBeGreaterThan(SMALL);
    expect(sizes(toC, 2).length).toBeGreaterThan(1);
    for (const bytes of sizes(toC, 2)) expect(bytes).toBeLessThanOrEqual(SMALL);
    expect(toC.maxFrameBytes).toBe(SMALL);
  });

  it('splits catch-up pages by the link they go out on', async () => {
    const { b, c, toB, toC } = await bridge();
    const pages = async (engine: ProtocolTransport) => {
      let count = 0;
      for await (const page of engine.requestSnapshot('a', { prefixes: [], pageSize: 2_000 })) count += page.entries.length;
      return count;
    };
    expect(await pages(b)).toBe(2_000);
    expect(await pages(c)).toBe(2_000);
    expect(sizes(toB, 4)).toHaveLength(1);
    expect(sizes(toC, 4).length).toBeGreaterThan(1);
    for (const bytes of sizes(toC, 4)) expect(bytes).toBeLessThanOrEqual(SMALL);
  });
});
