// The long NATS cluster run (issue 18): a 3-server NATS cluster with routes, statemesh nodes spread over it,
// rounds of writes from every node, one NATS server SIGKILLed half-way; checks that every write acknowledged
// `replicated:1` is on every node and that the digests converge. CI runs a short version
// (packages/session/test/nats-cluster.test.ts). Needs nats-server (apt-get install nats-server).
// Usage: pnpm nats-cluster [nodes=30] [rounds=20] [writesPerRound=50]. Exit 0 when every check holds, 1 otherwise.
import { runNatsCluster } from '../packages/session/test/nats-cluster-run.ts';

const nodes = Number(process.argv[2] ?? 30);
const rounds = Number(process.argv[3] ?? 20);
const writesPerRound = Number(process.argv[4] ?? 50);
const started = Date.now();
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
const result = await runNatsCluster({ nodes, rounds, writesPerRound, convergeTimeoutMs: 120_000, log });
log(`written ${result.written}, acknowledged ${result.acknowledged}, lost ${result.lost}, digests ${result.digests}, reconnected nodes ${result.reconnectedNodes}`);
const ok = result.lost === 0 && result.digests === 1 && result.written === nodes * 2 * rounds * writesPerRound;
console.log(ok ? 'nats-cluster: every check holds' : 'nats-cluster: FAILED');
process.exit(ok ? 0 : 1);
