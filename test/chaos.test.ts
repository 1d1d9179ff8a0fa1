// A short kill/restart chaos run (scripts/chaos.ts, `pnpm chaos` runs the long one): five `statemesh node`
// processes in a ring of IPC links, SIGKILLed and restarted for 12 s while written to, then healed. The script
// exits 0 only when every node has the same digest and no write that had reached another node was lost; it kills
// every process it started and removes its folder whatever happens.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

it('loses no acknowledged write that reached another node, and converges, through 12 s of kills and restarts', async () => {
  // The run gets a temporary folder of its own, so that another run on the machine cannot look like a leftover.
  const parent = mkdtempSync(`${tmpdir()}/chaos-test-`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', 'scripts/chaos.ts', '12', '5'], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: parent },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('close', (exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
  expect(output).toMatch(/chaos: [1-9]\d* kills/);
  expect(output).toMatch(/: 0 lost\n/);
  expect(output).toMatch(/digests all equal/);
  expect({ code, output }).toMatchObject({ code: 0 });
  const left = readdirSync(parent).filter((name) => name.startsWith('statemesh-'));
  rmSync(parent, { recursive: true, force: true });
  expect(left).toEqual([]);
}, 180_000);
