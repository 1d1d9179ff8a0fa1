import { afterEach, describe, expect, it } from 'vitest';
import type { StatemeshError } from '../error.js';
import { isStatemeshError } from '../error.js';
import type { LinkEvents } from '../link.js';
import { checkMutation, type CheckedMutation } from '../checked-mutation.js';
import type { PeerInfo, Transport } from '../transport.js';
import { RecordingHost, type RecordingHostOptions } from './recording-host.js';
import type { HarnessTransportOptions, TransportHarness } from './transport-harness.js';
import { waitFor } from './wait-for.js';

// The tests of what `@statemesh/protocol`'s engine does on top of any link. Same rules as the transport suite:
// bounded waits for what is expected, absence proven by a later marker, fresh node ids per test.

const CLUSTER = 'conformance';
const WAIT_MS = 10_000;

interface EngineNode {
  readonly id: string;
  readonly transport: Transport;
  readonly host: RecordingHost;
  readonly errors: StatemeshError[];
}

function mutation(origin: string, seq: number, payloadBytes = 8): CheckedMutation {
  return checkMutation({ origin, seq, hlc: BigInt(seq) << 16n, path: `scene.item${seq}`, op: 'set', type: 'bytes', payload: new Uint8Array(payloadBytes).fill(seq & 0xff) });
}

function peerOf(node: EngineNode, other: string): PeerInfo | undefined {
  return node.transport.peers().find((p) => p.node === other);
}

/** The engine's tests, run by {@link runTransportConformance} for a harness with `engine: true`. */
export function runEngineConformance(harness: TransportHarness): void {
  describe('protocol engine', () => {
    let live: Transport[] = [];
    let counter = 0;
    const fresh = (name: string): string => `e${name}${++counter}`;
    afterEach(async () => {
      const opened = live;
      live = [];
      await Promise.allSettled(opened.map((transport) => transport.close()));
    });

    async function node(
      id: string,
      options: Omit<HarnessTransportOptions, 'seeds' | 'onError'> & { seeds?: readonly string[]; host?: RecordingHostOptions } = {},
    ): Promise<EngineNode> {
      const errors: StatemeshError[] = [];
      const { host: hostOptions, seeds, ...rest } = options;
      const transport = await harness.create(id, { clusterId: CLUSTER, ...rest, seeds: seeds ?? [], onError: (error) => errors.push(error) });
      live.push(transport);
      const host = new RecordingHost(hostOptions);
      await transport.start(host);
      return { id, transport, host, errors };
    }

    async function linked(a: EngineNode, b: EngineNode): Promise<void> {
      await waitFor(() => a.host.upPeers().includes(b.id) && b.host.upPeers().includes(a.id), { timeoutMs: WAIT_MS, message: `${a.id} and ${b.id} up` });
    }

    async function received(to: EngineNode, from: string, count: number): Promise<void> {
      await waitFor(() => to.host.mutations(from).length >= count, { timeoutMs: WAIT_MS, message: `${to.id} to receive ${count} from ${from}` });
    }

    it('keeps one peer when two nodes dial each other: up once each, no down, delivery both ways', async () => {
      const aId = fresh('a');
      const bId = fresh('b');
      const a = await node(aId, { seeds: [bId] });
      const b = await node(bId, { seeds: [aId] });
      await linked(a, b);
      a.transport.publish([mutation(a.id, 1)]);
      b.transport.publish([mutation(b.id, 1)]);
      await received(b, a.id, 1);
      await received(a, b.id, 1);
      for (const [n, other] of [[a, b], [b, a]] as const) {
        expect(n.host.eventsFor(other.id).map((e) => e.type)).toEqual(['up']);
        expect(n.transport.peers().map((p) => p.node)).toEqual([other.id]);
      }
    });

    it('refuses a peer with no protocol version in common, with VERSION_MISMATCH naming both ranges', async () => {
      const a = await node(fresh('a'), { protocolVersions: { min: 1, max: 1 } });
      const b = await node(fresh('b'), { seeds: [a.id], protocolVersions: { min: 2, max: 3 } });
      await waitFor(() => a.errors.some((e) => isStatemeshError(e, 'VERSION_MISMATCH')) && b.errors.some((e) => isStatemeshError(e, 'VERSION_MISMATCH')), {
        timeoutMs: WAIT_MS,
        message: 'VERSION_MISMATCH on both sides',
      });
      expect(a.errors.find((e) => isStatemeshError(e, 'VERSION_MISMATCH'))!.message).toContain('2-3');
      expect(a.errors.find((e) => isStatemeshError(e, 'VERSION_MISMATCH'))!.message).toContain('1-1');
      expect(a.host.upPeers()).toEqual([]);
      expect(b.host.upPeers()).toEqual([]);
    });

    it('connects a peer announcing a newer maximum at the highest common version', async () => {
      const a = await node(fresh('a'), { protocolVersions: { min: 1, max: 1 } });
      const b = await node(fresh('b'), { seeds: [a.id], protocolVersions: { min: 1, max: 4 } });
      await linked(a, b);
      expect(peerOf(b, a.id)?.protocolVersion).toBe(1);
      b.transport.publish([mutation(b.id, 1)]);
      await received(a, b.id, 1);
    });

    it('refuses to dial itself, and stays open to others', async () => {
      const aId = fresh('a');
      const a = await node(aId, { seeds: [aId] });
      await waitFor(() => a.errors.some((e) => isStatemeshError(e, 'INVALID_CONFIG') && e.message.includes('itself')), { timeoutMs: WAIT_MS, message: 'self-dial refused' });
      const b = await node(fresh('b'), { seeds: [a.id] });
      await linked(a, b);
      expect(a.transport.peers().map((p) => p.node)).toEqual([b.id]);
      expect(a.host.upPeers()).toEqual([b.id]);
    });

    it('acknowledges what the receiver applied: acknowledged starts at its Hello vector and follows its Acks', async () => {
      const a = await node(fresh('a'));
      const b = await node(fresh('b'), { seeds: [a.id], host: { vector: { elsewhere: 7 }, applyUpTo: 2 } });
      await linked(a, b);
      expect(peerOf(a, b.id)?.acknowledged).toEqual({ elsewhere: 7 });
      a.transport.publish([mutation(a.id, 1), mutation(a.id, 2), mutation(a.id, 3)]);
      await received(b, a.id, 3);
      // b received 3 but applied only up to 2: its acknowledgement says 2, what it has, not what was sent.
      await waitFor(() => peerOf(a, b.id)?.acknowledged?.[a.id] === 2, { timeoutMs: WAIT_MS, message: 'a to see b acknowledge 2' });
      expect(peerOf(a, b.id)?.acknowledged?.['elsewhere']).toBe(7);
    });

    it('splits a batch over maxFrameBytes into frames that arrive in order; refuses one mutation that cannot fit', async () => {
      const a = await node(fresh('a'), { maxFrameBytes: 80_000 });
      const b = await node(fresh('b'), { seeds: [a.id], maxFrameBytes: 80_000 });
      await linked(a, b);
      const batch = Array.from({ length: 60 }, (_, i) => mutation(a.id, i + 1, 4_000)); // ~240 kB
      expect(a.transport.publish(batch)).toBe(1);
      await received(b, a.id, 60);
      expect(b.host.mutations(a.id).map((m) => m.seq)).toEqual(batch.map((m) => m.seq));
      expect(b.host.batches.length).toBeGreaterThan(1);
      let code = 'nothing thrown';
      try {
        a.transport.publish([mutation(a.id, 61, 100_000)]);
      } catch (error) {
        code = isStatemeshError(error) ? error.code : String(error);
      }
      expect(code).toBe('FRAME_TOO_LARGE');
    });

    it('applies the writes of a peer that publishes and closes at once', async () => {
      const a = await node(fresh('a'));
      const b = await node(fresh('b'), { seeds: [a.id] });
      await linked(a, b);
      b.transport.publish(Array.from({ length: 20 }, (_, i) => mutation(b.id, i + 1)));
      await b.transport.close();
      await received(a, b.id, 20);
      expect(a.host.mutations(b.id).map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it.skipIf(harness.rawLink === undefined)('before a Hello, refuses a frame over 64 KiB', async () => {
      const a = await node(fresh('a'));
      const link = await harness.rawLink!(a.id);
      const closed = new Promise<string>((resolve) => link.open(silentEvents((reason) => resolve(reason))));
      link.send({ kind: 1, version: 1, body: new Uint8Array(65 * 1024) });
      await closed;
      await waitFor(() => a.errors.some((e) => isStatemeshError(e, 'FRAME_TOO_LARGE')), { timeoutMs: WAIT_MS, message: 'FRAME_TOO_LARGE reported' });
      expect(a.transport.stats().badFrames).toBeGreaterThanOrEqual(1);
    });

    it.skipIf(harness.rawLink === undefined)('caps the links held without a Hello, per listener', async () => {
      const a = await node(fresh('a'), { maxHelloPendingBytes: 2 * 64 * 1024 });
      const links = [await harness.rawLink!(a.id), await harness.rawLink!(a.id)];
      for (const link of links) link.open(silentEvents(() => undefined));
      // A third one is refused while two wait for their Hello...
      const third = await harness.rawLink!(a.id);
      const reason = await new Promise<string>((resolve) => third.open(silentEvents(resolve)));
      expect(typeof reason).toBe('string');
      await waitFor(() => a.errors.some((e) => isStatemeshError(e, 'BACKPRESSURE')), { timeoutMs: WAIT_MS, message: 'the third link refused' });
      expect(a.errors.filter((e) => isStatemeshError(e, 'BACKPRESSURE'))).toHaveLength(1);
      // ...and a real node still gets in once those two are gone.
      for (const link of links) link.destroy('test done');
      const b = await node(fresh('b'), { seeds: [a.id] });
      await linked(a, b);
    });
  });
}

function silentEvents(closed: (reason: string) => void): LinkEvents {
  return { frame: () => undefined, drain: () => undefined, closed };
}
