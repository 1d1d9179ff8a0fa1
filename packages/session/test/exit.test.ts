// After close(), nothing a session opened keeps the process alive: a child process that joins, replicates over
// IPC and gRPC (with a large value, so the hydrator and blob store are used), and closes must exit by itself.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from './cluster.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('close()', () => {
  it('leaves nothing that keeps the process alive', async () => {
    const dir = join(packageDir, '.tmp', `exit-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const script = join(dir, 'child.ts');
    writeFileSync(
      script,
      `
import { join } from '@statemesh/session';
const quiet = { log: () => undefined };
const a = await join({ clusterId: 'x', nodeId: 'a', listen: ${JSON.stringify(join(dir, 'a.sock'))}, blobStorePath: ${JSON.stringify(join(dir, 'blobs'))} }, quiet);
const b = await join({ clusterId: 'x', nodeId: 'b', listen: ${JSON.stringify(join(dir, 'b.sock'))}, seeds: [${JSON.stringify(join(dir, 'a.sock'))}],
  bridges: [{ transport: 'grpc', listen: '127.0.0.1:${await freePort()}' }] }, quiet);
a.setBytes('big', new Uint8Array(200_000).fill(1), 'bytes');
a.set('small', 1);
await b.waitForData('big', 10_000);
await b.waitForData('small', 10_000);
await Promise.all([a.close(), b.close()]);
console.log('closed');
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', script], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
    expect(output).toContain('closed');
    expect({ code, signal }, `the process did not exit by itself after close(): ${output}`).toEqual({ code: 0, signal: null });
  });
});
