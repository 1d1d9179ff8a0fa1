import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileReplicaStore } from '@statemesh/store-fs';

const fixture = fileURLToPath(new URL('./fixtures/burst-writer.ts', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs the burst writer on `dir` until it has acknowledged `acks` commits, SIGKILLs it; returns the highest acknowledged seq. */
async function killMidBurst(dir: string, durability: string, acks: number): Promise<number> {
  const child = spawn(process.execPath, ['--conditions=@statemesh/source', '--import', 'tsx', fixture, dir, durability], { stdio: ['ignore', 'pipe', 'pipe'] });
  let highest = 0;
  let seen = 0;
  let output = '';
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const match = /^acked (\d+)$/.exec(line);
      if (match === null) {
        output += `${line}\n`;
        continue;
      }
      highest = Math.max(highest, Number(match[1]));
      if (++seen === acks) child.kill('SIGKILL'); // in the middle of the next bursts
    }
  });
  const signal = await new Promise<string | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
  clearTimeout(killer);
  expect(signal, `the writer did not die by SIGKILL: ${output}`).toBe('SIGKILL');
  if (seen < acks) throw new Error(`the writer acknowledged ${seen} commits before it died: ${output}`);
  return highest;
}

describe('a writer killed with SIGKILL in the middle of a burst', () => {
  // `none` too: a killed process loses nothing the OS was handed (only a machine crash would).
  it.each(['batched', 'sync', 'none'])('loses no write whose commit resolved (durability %s), three kills in a row', async (durability) => {
    const dir = await mkdtemp(join(tmpdir(), 'statemesh-kill-'));
    dirs.push(dir);
    let acknowledged = 0;
    for (let round = 1; round <= 3; round++) {
      acknowledged = Math.max(acknowledged, await killMidBurst(dir, durability, durability === 'sync' ? 100 : 400));
      const store = new FileReplicaStore({ dir });
      const recovered = await store.open({ clusterId: 'kill', nodeId: 'writer' });
      // Every key's winner is its newest acknowledged write or a later one.
      const winners = new Map(recovered.entries.map((e) => [e.path, e.version.seq]));
      for (let seq = Math.max(1, acknowledged - 5000 + 1); seq <= acknowledged; seq++) {
        expect(winners.get(`burst.k${seq % 5000}`)! >= seq, `acknowledged write ${seq} lost in round ${round}`).toBe(true);
      }
      expect(recovered.lastSequence).toBeGreaterThanOrEqual(acknowledged);
      expect(recovered.incarnation).toBe(round * 2);
      await store.close();
    }
  });
});
