// A hostile peer of the simulation: it joins the memory network as `mallory-<victim>`, dialling only its victim,
// keeps every mutation the cluster sends it, and on command sends the victim writes under the victim's own origin
// with sequence numbers near 2^53, or re-sends mutations it was sent earlier. The victim must refuse the forgeries
// without crashing or advancing its own counter; re-sent mutations are duplicates it must drop.
import type { Mutation, TransportHost } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { ProtocolTransport } from '@statemesh/protocol';
import type { SeededRandom } from '@statemesh/protocol';
import type { MemoryNetwork } from '@statemesh/transport-memory';

const KEPT = 200;

export class ForgingPeer {
  readonly victim: string;
  readonly #transport: ProtocolTransport;
  readonly #seen: Mutation[] = [];
  #started = false;

  constructor(network: MemoryNetwork, victim: string) {
    this.victim = victim;
    this.#transport = network.createTransport({ nodeId: `mallory-${victim}`, clusterId: 'sim', seeds: [victim], heartbeatIntervalMs: 100 });
  }

  start(): Promise<void> {
    const host: TransportHost = {
      hello: () => ({ vector: {} }),
      onMutations: (batch) => {
        for (const mutation of batch) if (this.#seen.length < KEPT) this.#seen.push(mutation);
      },
      onPeerEvent: () => undefined,
      readChunk: () => Promise.resolve(undefined),
      snapshot: async function* () {
        yield { entries: [], last: true, vector: {} };
      },
    };
    this.#started = true;
    return this.#transport.start(host);
  }

  /** True while the link to the victim is up (what is sent then is delivered, save the network's faults). */
  get connected(): boolean {
    return this.#transport.peers().length > 0;
  }

  /** Sends the victim writes under `origin` (its own) with sequence numbers at and just below 2^53 - 1 (returns how many). */
  forge(origin: string, wallMs: number, random: SeededRandom): number {
    if (!this.connected) return 0;
    const batch: Mutation[] = [];
    for (let i = 0; i < 3; i++) {
      batch.push({
        origin,
        seq: Number.MAX_SAFE_INTEGER - Math.floor(random.next() * 4),
        hlc: pack({ wallMs, logical: i }),
        path: 'scene.camera.fov',
        op: 'set',
        type: 'json',
        payload: new TextEncoder().encode('666'),
      });
    }
    this.#transport.publish(batch);
    return batch.length;
  }

  /** Sends the victim again some mutations the cluster sent earlier (returns how many; 0 while not connected). */
  replay(random: SeededRandom): number {
    if (this.#seen.length === 0 || !this.connected) return 0;
    const from = Math.floor(random.next() * this.#seen.length);
    const batch = this.#seen.slice(from, from + 5);
    this.#transport.publish(batch);
    return batch.length;
  }

  close(): Promise<void> {
    return this.#started ? this.#transport.close() : Promise.resolve();
  }
}
