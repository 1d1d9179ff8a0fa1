// A deterministic simulation of a statemesh cluster, after FoundationDB's simulation testing: N sessions over
// memory links on virtual time, driven by one seed through random writes, deletes, large values, lost, delayed,
// duplicated and reordered frames, partitions and heals, crashes and restarts. The links carry IPC-framed bytes
// through the same protocol engine (`@statemesh/protocol`) and codec (`@statemesh/wire`) the other transports
// run, and the engine's and the session's timers are the virtual scheduler. After the final heal it
// checks that every replica is equal, that no write another node had acknowledged before a crash is lost, and that
// every large value was hydrated. The same seed replays the same run. Issue 13's faults are drawn too: restarts
// without a disk (a new incarnation), a node restarting while all its seeds are down, one node's clock beyond the
// drift bound for a while, a forging peer (see forging-peer.ts), and bursts of many large values at once.
import { MemoryBlobStore } from '@statemesh/blob-store';
import { compareVersions, isUnder, type Version } from '@statemesh/contracts';
import { join, type Session, type SequenceStore } from '@statemesh/session';
import { SeededRandom, VirtualScheduler } from '@statemesh/protocol';
import { MemoryNetwork } from '@statemesh/transport-memory';
import { ForgingPeer } from './forging-peer.ts';

/** How a simulation is shaped. */
export interface SimulationOptions {
  readonly seed: number;
  readonly nodes?: number;
  readonly steps?: number;
  /** Print, after every step, what each node holds at this path. */
  readonly trace?: string | undefined;
}

/** What a simulation did; it throws (naming the seed) when a check fails. */
export interface SimulationReport {
  readonly seed: number;
  readonly writes: number;
  readonly deletes: number;
  readonly largeValues: number;
  readonly crashes: number;
  readonly partitions: number;
  /** Restarts with no blob store and no sequence record: a new incarnation. */
  readonly disklessRestarts: number;
  /** Restarts while every seed of the node was down. */
  readonly loneRestarts: number;
  /** Writes made while the writer's clock was past the drift bound. */
  readonly skewedWrites: number;
  /** Forged own-origin mutations and re-sent old mutations sent to a victim. */
  readonly forgedSent: number;
  readonly replayedSent: number;
  /** Remote writes the replicas refused (clock drift, a forged own origin), summed over every run of every node. */
  readonly refused: number;
  /** Writes of many large values in one step. */
  readonly largeBursts: number;
  /** Large values whose chunks are in no running node's blob store at the end (their holders lost their disks). */
  readonly unhydratable: number;
  /** Acknowledged writes whose every holder crashed before passing them on (legitimately gone). */
  readonly lostWithEveryHolder: number;
  readonly acknowledgedChecked: number;
  readonly virtualMs: number;
  readonly digest: string;
}

/** A write the simulation made, with the version it got. */
interface LoggedWrite {
  readonly node: string;
  readonly path: string;
  readonly op: 'set' | 'delete';
  readonly version: Version;
}

/** What survives a crash: the node's blob store and its published-sequence mark (its "disk"). */
interface Disk {
  readonly blobStore: MemoryBlobStore;
  readonly sequence: SequenceStore;
}

const EPOCH_MS = 1_750_000_000_000;
/** The engine's default drift bound (`DEFAULT_MAX_DRIFT_MS` of `@statemesh/hlc`); a skewed clock is past it. */
const MAX_DRIFT_MS = 60_000;
const STEP_MS = 7;
const PATHS = ['scene.camera.fov', 'scene.camera.pos', 'scene.light.color', 'scene.objects.a.x', 'scene.objects.a.y', 'scene.objects.b.x', 'scene', 'scene.objects', 'volume.density', 'meta.title'];

export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const { seed } = options;
  const nodeCount = options.nodes ?? 3;
  const steps = options.steps ?? 60;
  const random = new SeededRandom(seed);
  const scheduler = new VirtualScheduler(0);
  const network = new MemoryNetwork({
    seed,
    scheduler,
    faults: { drop: 0.05, duplicate: 0.05, reorder: 0.05, delayMs: [0, 20] },
  });
  const ids = Array.from({ length: nodeCount }, (_, i) => `n${i}`);
  const disks = new Map<string, Disk>(ids.map((id) => [id, newDisk()]));
  const sessions = new Map<string, Session>();
  const log: LoggedWrite[] = [];
  const acknowledged = new Set<LoggedWrite>();
  const counts = {
    writes: 0, deletes: 0, largeValues: 0, crashes: 0, partitions: 0, disklessRestarts: 0, loneRestarts: 0,
    skewedWrites: 0, forgedSent: 0, replayedSent: 0, largeBursts: 0, unhydratable: 0, refused: 0, lostWithEveryHolder: 0,
  };
  /** Per running node, its blob store; per large value written, the blob stores seen holding all of it. */
  const storeOf = new Map<string, MemoryBlobStore>();
  const largeHolders = new Map<LoggedWrite, Set<MemoryBlobStore>>();
  const noteHydrated = () => {
    for (const [write, holders] of largeHolders) {
      for (const [id, session] of sessions) {
        const value = session.get(write.path);
        if (value !== undefined && !value.pending && compareVersions(value.version, write.version) === 0) holders.add(storeOf.get(id)!);
      }
    }
  };
  /** True for a large value no running node can serve: every store that held it is gone or not mounted. */
  const unservable = (path: string, version: Version) => {
    const write = [...largeHolders.keys()].find((w) => w.path === path && compareVersions(w.version, version) === 0);
    if (write === undefined) return false;
    const mounted = new Set(storeOf.values());
    return ![...largeHolders.get(write)!].some((store) => mounted.has(store));
  };
  let partitioned = false;
  /** Per node, how far its clock is off while it is skewed, and the step the skew ends. */
  const skew = new Map<string, number>();
  let skewEnds = -1;
  /** Per running node, the origin it writes under and its latest sequence there (once it wrote). */
  const latest = new Map<string, { origin: string; seq: number }>();
  const forgers = new Map<string, ForgingPeer>(ids.map((id) => [id, new ForgingPeer(network, id)]));
  const wallMs = () => EPOCH_MS + Math.floor(scheduler.now());
  const record = (node: string, write: LoggedWrite) => {
    log.push(write);
    latest.set(node, { origin: write.version.origin, seq: write.version.seq });
    if (skew.has(node)) counts.skewedWrites++;
    if (write.op === 'set' && sessions.get(node)!.get(write.path)?.value instanceof Uint8Array) largeHolders.set(write, new Set([storeOf.get(node)!]));
  };

  const fail = (what: string): never => {
    throw new Error(`simulation seed ${seed} failed: ${what} (replay: SIM_SEED=${seed})`);
  };
  const start = async (id: string) => {
    // Sometimes a restart has no disk at all (no blob store, no sequence record): a new incarnation.
    const disk = random.next() < 0.25 ? undefined : disks.get(id)!;
    if (disk === undefined) counts.disklessRestarts++;
    // Without a disk the node's blob store is one in memory, as join makes by default, gone when it stops.
    const blobStore = disk?.blobStore ?? new MemoryBlobStore();
    const joining = join(
      {
        clusterId: 'sim',
        nodeId: id,
        transport: 'memory',
        network,
        seeds: ids.filter((other) => other !== id),
        heartbeatIntervalMs: 100,
        pumpIntervalMs: 20,
        metricsIntervalMs: 5000,
        antiEntropyIntervalMs: 500,
        joinTimeoutMs: 1000,
        catchUpPageTimeoutMs: 1000,
        maxInlinePayloadBytes: 512,
        // zstd runs on the native thread pool, outside virtual time; rle keeps a run deterministic.
        blobCodec: 'rle',
      },
      { timers: scheduler, wallClock: () => wallMs() + (skew.get(id) ?? 0), blobStore, sequenceStore: disk?.sequence, log: () => undefined },
    );
    const session = await drive(scheduler, joining, 5000, () => fail(`${id} did not join`));
    sessions.set(id, session);
    storeOf.set(id, blobStore);
  };
  // A crash: every link of the node is cut at once (what was in flight is lost), then it is stopped. Its writes
  // that another node had already applied are acknowledged and must survive.
  const crash = async (node: string) => {
    const up = ids.filter((id) => sessions.has(id));
    const holders = (write: LoggedWrite) =>
      up.filter((id) => id !== node && (sessions.get(id)!.vector()[write.version.origin] ?? 0) >= write.version.seq);
    for (const write of log) {
      if (write.node !== node || acknowledged.has(write)) continue;
      if (holders(write).length > 0) acknowledged.add(write);
    }
    // The tree lives in memory: a write whose every holder crashes before passing it on is gone, by design.
    // The property checked is that a write survives while one node holding it survives. That includes this
    // node's own writes: the node that acknowledged one may have crashed since and come back empty.
    for (const write of acknowledged) {
      if (holders(write).length === 0) {
        acknowledged.delete(write);
        counts.lostWithEveryHolder++;
      }
    }
    network.crash(node);
    counts.refused += sessions.get(node)!.metrics().remote.rejected;
    await drive(scheduler, sessions.get(node)!.close(), 5000, () => fail(`${node} did not stop`));
    sessions.delete(node);
    storeOf.delete(node);
    latest.delete(node);
    counts.crashes++;
  };

  // Incarnations are drawn from crypto.getRandomValues; the run draws them from its seed so that it replays.
  const cryptoObject = globalThis.crypto as { getRandomValues: <T extends ArrayBufferView | null>(array: T) => T };
  const realGetRandomValues = cryptoObject.getRandomValues;
  cryptoObject.getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
    if (array instanceof Uint8Array) for (let i = 0; i < array.length; i++) array[i] = Math.floor(random.next() * 256);
    return array;
  };
  try {
    return await run();
  } finally {
    cryptoObject.getRandomValues = realGetRandomValues;
  }

  /** The run itself: the nodes, the steps, the final heal and the checks. */
  async function run(): Promise<SimulationReport> {
    for (const id of ids) await start(id);
    for (const forger of forgers.values()) await forger.start();

    for (let step = 0; step < steps; step++) {
      const up = ids.filter((id) => sessions.has(id));
      const roll = random.next();
      const node = up[Math.floor(random.next() * up.length)];
      if (node !== undefined && roll < 0.55) {
        const session = sessions.get(node)!;
        const path = PATHS[Math.floor(random.next() * PATHS.length)]!;
        if (random.next() < 0.1) {
          const bytes = new Uint8Array(600 + Math.floor(random.next() * 3000));
          for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random.next() * 4);
          record(node, { node, path, op: 'set', version: session.setBytes(path, bytes, 'sim/bytes') });
          counts.largeValues++;
        } else {
          record(node, { node, path, op: 'set', version: session.set(path, { step, node, v: Math.floor(random.next() * 1000) }) });
        }
        counts.writes++;
      } else if (node !== undefined && roll < 0.65) {
        const path = PATHS[Math.floor(random.next() * PATHS.length)]!;
        record(node, { node, path, op: 'delete', version: sessions.get(node)!.delete(path) });
        counts.deletes++;
      } else if (roll < 0.72 && !partitioned && nodeCount > 1) {
        const cut = 1 + Math.floor(random.next() * (nodeCount - 1));
        const shuffled = [...ids].sort(() => random.next() - 0.5);
        network.partition(shuffled.slice(0, cut), shuffled.slice(cut));
        partitioned = true;
        counts.partitions++;
      } else if (roll < 0.8 && partitioned) {
        network.heal();
        partitioned = false;
      } else if (roll < 0.85 && node !== undefined && up.length > 1) {
        await crash(node);
      } else if (roll < 0.95) {
        const down = ids.find((id) => !sessions.has(id));
        if (down !== undefined) await start(down);
      }
      await chaos(step);
      noteHydrated();
      await scheduler.advance(STEP_MS + Math.floor(random.next() * 30));
      // No input from a peer advances a node's own counter: it is the sequence of its latest write.
      for (const [id, { seq }] of latest) {
        const at = sessions.get(id)?.status().localSequence;
        if (at !== undefined && at !== seq) fail(`${id}'s own sequence is ${at}, but its latest write was #${seq}`);
      }
      if (options.trace !== undefined) {
        const at = [...sessions.values()].map((s) => {
          const v = s.get(options.trace!);
          return `${s.nodeId}=${v === undefined ? '-' : `${v.version.origin}#${v.version.seq}${v.pending ? '(pending)' : ''}`} ${JSON.stringify(s.vector())} cu=${s.metrics().catchUps.completed}/${s.metrics().catchUps.failed} peers=${s.status().peerCount}`;
        });
        console.log(`step ${step} roll ${roll.toFixed(2)} node ${node}: ${at.join(' ')} | last: ${JSON.stringify(log.at(-1)?.path)} ${log.at(-1)?.op} ${log.at(-1)?.node}#${log.at(-1)?.version.seq}`);
      }
    }

    // The final heal: every node back, clocks right, no forger, the network whole and fault-free, then quiescence.
    skew.clear();
    for (const forger of forgers.values()) await drive(scheduler, forger.close(), 5000, () => fail('a forger did not stop'));
    network.heal();
    network.setFaults({});
    for (const id of ids) if (!sessions.has(id)) await start(id);
    const all = () => [...sessions.values()];
    const settled = () => {
      noteHydrated();
      return (
        new Set(all().map((s) => s.digest())).size === 1 &&
        all().every((s) => s.status().pendingHydrations === 0 && s.entries('').every((e) => !e.pending || unservable(e.path, e.version)))
      );
    };
    for (let waited = 0; !settled(); waited += 100) {
      if (waited > 60_000) {
        const summary = all().map((s) => `${s.nodeId}: ${s.digest().slice(0, 8)} pending=${s.status().pendingHydrations} peers=${s.status().peerCount}`).join('; ');
        fail(`replicas did not converge within 60 s of virtual time after the final heal (${summary}; pending: ${all().flatMap((s) => s.entries("").filter((e) => e.pending).map((e) => `${s.nodeId}:${e.path}=${e.version.origin}#${e.version.seq}`)).join(" ")})\n${explainDivergence(all())}`);
      }
      await scheduler.advance(100);
    }

    const reference = sessions.get(ids[0]!)!;
    counts.unhydratable = reference.entries('').filter((e) => e.pending).length;
    for (const write of acknowledged) {
      const current = reference.get(write.path);
      if (write.op === 'set') {
        if (current !== undefined && compareVersions(current.version, write.version) >= 0) continue;
        // A newer write or delete reaching this path replaces it by design (and is checked in its own right if acknowledged).
        const superseded = log.some(
          (other) => (other.op === 'delete' ? isUnder(write.path, other.path) : other.path === write.path) && compareVersions(other.version, write.version) > 0,
        );
        if (superseded) continue;
        const history = log.filter((w) => isUnder(write.path, w.path)).map((w) => `${w.op} ${w.path} ${w.node}#${w.version.seq}@${w.version.hlc}`);
        fail(`the acknowledged write ${write.node}#${write.version.seq}@${write.version.hlc} to ${write.path} was lost; now ${current === undefined ? 'absent' : `${current.version.origin}#${current.version.seq}@${current.version.hlc}`}; writes there: ${history.join(', ')}`);
      }
    }
    for (const session of all()) counts.refused += session.metrics().remote.rejected;
    const report: SimulationReport = { seed, ...counts, acknowledgedChecked: acknowledged.size, virtualMs: scheduler.now(), digest: reference.digest() };
    for (const session of all()) await drive(scheduler, session.close(), 5000, () => fail('close did not finish'));
    return report;
  }

  /** Issue 13's faults, drawn beside the main roll. */
  async function chaos(step: number): Promise<void> {
    if (step === skewEnds) skew.clear();
    const roll = random.next();
    const up = ids.filter((id) => sessions.has(id));
    const node = up[Math.floor(random.next() * up.length)];
    if (node === undefined) return;
    if (roll < 0.03 && skew.size === 0) {
      // One clock past the drift bound for a while: ahead (its writes refused until the others' clocks reach
      // them) or behind (it refuses the others' writes until its clock is right).
      const ahead = random.next() < 0.5;
      skew.set(node, ahead ? MAX_DRIFT_MS + 1000 + Math.floor(random.next() * 10_000) : -(MAX_DRIFT_MS + 1000 + Math.floor(random.next() * 600_000)));
      skewEnds = step + 5 + Math.floor(random.next() * 15);
      if (options.trace !== undefined) console.log(`step ${step}: ${node}'s clock off by ${skew.get(node)} ms until step ${skewEnds}`);
    } else if (roll < 0.06) {
      const own = latest.get(node);
      if (own !== undefined) counts.forgedSent += forgers.get(node)!.forge(own.origin, wallMs(), random);
    } else if (roll < 0.09) {
      counts.replayedSent += forgers.get(node)!.replay(random);
    } else if (roll < 0.11) {
      // Many large values at once.
      const session = sessions.get(node)!;
      const many = 8 + Math.floor(random.next() * 9);
      for (let i = 0; i < many; i++) {
        const bytes = new Uint8Array(2000 + Math.floor(random.next() * 10_000));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random.next() * 4);
        record(node, { node, path: `bulk.v${i}`, op: 'set', version: session.setBytes(`bulk.v${i}`, bytes, 'sim/bytes') });
        counts.largeValues++;
        counts.writes++;
      }
      counts.largeBursts++;
    } else if (roll < 0.125) {
      // A node restarts while every one of its seeds is down.
      const down = ids.find((id) => !sessions.has(id));
      if (down === undefined) return;
      for (const id of up) await crash(id);
      await start(down);
      counts.loneRestarts++;
    }
  }
}

function newDisk(): Disk {
  let value = 0;
  return {
    blobStore: new MemoryBlobStore(),
    sequence: {
      get value() {
        return value;
      },
      raise(seq: number) {
        if (seq > value) value = seq;
      },
      close() {},
    },
  };
}

/** Runs virtual time forward until `promise` settles (at most `limitMs`). */
async function drive<T>(scheduler: VirtualScheduler, promise: Promise<T>, limitMs: number, onTimeout: () => never): Promise<T> {
  let done = false;
  const settled = promise.finally(() => (done = true));
  for (let waited = 0; !done; waited += 10) {
    if (waited > limitMs) onTimeout();
    await scheduler.advance(10);
  }
  return settled;
}

/** The paths on which replicas differ, with each replica's version there, and their vectors. */
function explainDivergence(sessions: readonly Session[]): string {
  const paths = new Set(sessions.flatMap((session) => session.entries('').map((entry) => entry.path)));
  const lines: string[] = [];
  for (const path of [...paths].sort()) {
    const seen = sessions.map((session) => {
      const value = session.get(path);
      return value === undefined ? '-' : `${value.version.origin}#${value.version.seq}@${value.version.hlc}`;
    });
    if (new Set(seen).size > 1) lines.push(`  ${path}: ${sessions.map((s, i) => `${s.nodeId}=${seen[i]}`).join(' ')}`);
  }
  for (const session of sessions) lines.push(`  vector ${session.nodeId}: ${JSON.stringify(session.vector())} catch-ups ${JSON.stringify(session.metrics().catchUps)}`);
  return lines.join('\n');
}
