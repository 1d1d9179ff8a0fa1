// The NATS cluster scenario (issue 18): a 3-server NATS cluster with routes, statemesh nodes spread over the
// servers (each node told of one server only; it learns the others from the cluster), writes from every node,
// one NATS server killed mid-run. Checks: every node reconnects, every write acknowledged `replicated:1` is on
// every node, and the digests converge. Used by test/nats-cluster.test.ts (short) and scripts/nats-cluster.ts (long).
import { join, type Session, type Version } from '@statemesh/session';
import { startNatsCluster, type NatsServer } from '@statemesh/transport-nats/testing';

/** How large a run is. */
export interface NatsClusterRun {
  readonly nodes: number;
  /** Write rounds before the kill, and again while the killed server's nodes reconnect. */
  readonly rounds: number;
  /** Writes per node per round. */
  readonly writesPerRound: number;
  readonly convergeTimeoutMs: number;
  readonly log?: (line: string) => void;
}

/** What a run found. */
export interface NatsClusterResult {
  readonly written: number;
  readonly acknowledged: number;
  /** Acknowledged writes missing on some node at the end (must be 0). */
  readonly lost: number;
  /** Distinct digests at the end (must be 1). */
  readonly digests: number;
  readonly reconnectedNodes: number;
}

export async function runNatsCluster(run: NatsClusterRun): Promise<NatsClusterResult> {
  const log = run.log ?? (() => undefined);
  const servers: NatsServer[] = await startNatsCluster(3);
  const sessions: Session[] = [];
  const acked: Array<{ path: string; version: Version }> = [];
  let written = 0;
  try {
    const clusterId = 'natscluster';
    for (let i = 0; i < run.nodes; i++) {
      const server = servers[i % 3]!;
      sessions.push(
        await join(
          { clusterId, nodeId: `node${i}`, transport: 'nats', nats: { servers: [server.url], stream: { replicas: 3, storage: 'memory' } }, heartbeatIntervalMs: 250, joinTimeoutMs: 0, antiEntropyIntervalMs: 2_000 },
          { log: () => undefined },
        ),
      );
    }
    log(`${run.nodes} nodes joined over 3 NATS servers`);
    await until(`every node to list ${run.nodes - 1} peers`, () => sessions.every((s) => s.status().peerCount === run.nodes - 1), run.convergeTimeoutMs);
    const write = async (round: number): Promise<void> => {
      const waits: Array<Promise<void>> = [];
      sessions.forEach((session, i) => {
        for (let k = 0; k < run.writesPerRound; k++) {
          const path = `w.node${i}.r${round}.k${k}`;
          const version = session.set(path, { round, k });
          written++;
          waits.push(session.replicated(version, { peers: 1, timeoutMs: 10_000 }).then(() => void acked.push({ path, version }), () => undefined));
        }
      });
      await Promise.all(waits);
    };
    for (let round = 0; round < run.rounds; round++) await write(round);
    log(`killing NATS server s0 (its ${Math.ceil(run.nodes / 3)} nodes reconnect to the others)`);
    await servers[0]!.kill();
    for (let round = run.rounds; round < 2 * run.rounds; round++) await write(round);
    await until('every node to list every peer again', () => sessions.every((s) => s.status().peerCount === run.nodes - 1), run.convergeTimeoutMs);
    const missing = (): number => acked.filter(({ path }) => sessions.some((s) => s.get(path) === undefined)).length;
    await until('every acknowledged write on every node and equal digests', () => missing() === 0 && new Set(sessions.map((s) => s.digest())).size === 1, run.convergeTimeoutMs).catch(() => undefined);
    // The killed server's nodes (every third) list every peer again (up, or suspect on a busy machine).
    const reconnectedNodes = sessions.filter((session, i) => i % 3 === 0 && session.status().peerCount === run.nodes - 1).length;
    return { written, acknowledged: acked.length, lost: missing(), digests: new Set(sessions.map((s) => s.digest())).size, reconnectedNodes };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
