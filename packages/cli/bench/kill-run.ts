// The long kill run (issue 15): rounds of three `statemesh node --data` processes, three writers acknowledging
// writes `durable` through the admin API, SIGKILL of all three nodes at once mid-burst, restart from their disks;
// checks that every write acknowledged durable is on every node and that they converge. Prints one line per round
// and the medians. Run: pnpm --filter @statemesh/cli exec tsx --conditions=@statemesh/source bench/kill-run.ts [rounds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from '../src/index.ts';
import { NodeProcess } from '../test/statemesh-process.ts';

const TOKEN = 'token-kill-run';
const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'statemesh-kill-run-'));
const socket = (name: string) => join(dir, `${name}.sock`);
const NAMES = ['a', 'b', 'c'] as const;

async function start(name: string): Promise<{ node: NodeProcess; client: AdminClient }> {
  const seeds = NAMES.filter((other) => other !== name).flatMap((other) => ['--seed', socket(other)]);
  const node = await NodeProcess.start(['--cluster', 'kill', '--id', name, '--listen', socket(name), '--admin', '127.0.0.1:0', '--heartbeat-ms', '100', '--data', join(dir, `data-${name}`), ...seeds], { STATEMESH_TOKEN: TOKEN });
  return { node, client: new AdminClient(node.adminUrl, TOKEN) };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const rates: number[] = [];
const recoveries: number[] = [];
let failures = 0;
let localRate = 0;
try {
  let nodes = await Promise.all(NAMES.map(start));
  for (let round = 1; round <= rounds; round++) {
    const acknowledged: string[] = [];
    let stop = false;
    const began = Date.now();
    const writers = nodes.map(async ({ client }, n) => {
      for (let i = 0; !stop; i += 8) {
        const paths = Array.from({ length: 8 }, (_, k) => `r${round}.${NAMES[n]}.w${i + k}`);
        const results = await Promise.allSettled(paths.map((path) => client.set(path, i, { wait: { level: 'durable' } })));
        results.forEach((r, k) => r.status === 'fulfilled' && acknowledged.push(paths[k]!));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1000 + Math.floor(Math.random() * 2000)));
    await Promise.all(nodes.map(({ node }) => node.stop('SIGKILL')));
    const elapsed = Date.now() - began;
    stop = true;
    await Promise.all(writers);
    const restarted = Date.now();
    nodes = await Promise.all(NAMES.map(start));
    const converged = await until(async () => new Set((await Promise.all(nodes.map(({ client }) => client.status()))).map((s) => s.digest)).size === 1, 30_000);
    const recoveredMs = Date.now() - restarted;
    let missing = 0;
    for (const { client } of nodes) {
      const held = new Set((await client.entries(`r${round}`)).map((e) => e.path));
      missing += acknowledged.filter((path) => !held.has(path)).length;
    }
    if (!converged || missing > 0) failures++;
    rates.push((acknowledged.length * 1000) / elapsed);
    recoveries.push(recoveredMs);
    console.log(`round ${round}: ${acknowledged.length} writes acknowledged durable in ${elapsed} ms before SIGKILL of all three; restart to convergence ${recoveredMs} ms; converged ${converged}; missing ${missing}`);
  }
  // The same-run peer: the same writers for 2 s with no wait, after the rounds (warm) (level local), on the same nodes and disks.
  let localWrites = 0;
  let localStop = false;
  const localBegan = Date.now();
  const localWriters = nodes.map(async ({ client }, n) => {
    for (let i = 0; !localStop; i += 8) {
      const paths = Array.from({ length: 8 }, (_, k) => `local.${NAMES[n]}.w${i + k}`);
      localWrites += (await Promise.allSettled(paths.map((path) => client.set(path, i)))).filter((r) => r.status === 'fulfilled').length;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  localStop = true;
  await Promise.all(localWriters);
  localRate = (localWrites * 1000) / (Date.now() - localBegan);
  await Promise.all(nodes.map(({ node }) => node.stop('SIGKILL')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${rounds} rounds: median ${median(rates).toFixed(0)} durable acknowledgements/s (3 writers, 8 requests in flight each, over HTTP) beside ${localRate.toFixed(0)}/s acknowledged local in the same run (ratio ${(median(rates) / localRate).toFixed(2)}); median restart to convergence ${median(recoveries)} ms (process start included); ${failures} failed rounds`);
process.exitCode = failures === 0 ? 0 : 1;
