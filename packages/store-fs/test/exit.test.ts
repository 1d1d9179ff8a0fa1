import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { FileReplicaStore } from '@statemesh/store-fs';

const fixture = fileURLToPath(new URL('./fixtures/open-write-close.ts', import.meta.url));

it('a process that opened, wrote to, snapshotted and closed a store exits by itself, and the store reopens whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'statemesh-exit-'));
  try {
    const child = spawn(process.execPath, ['--conditions=@statemesh/source', '--import', 'tsx', fixture, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    expect(output).toContain('closed');
    expect({ code, signal }, `the process did not exit by itself after close(): ${output}`).toEqual({ code: 0, signal: null });
    const store = new FileReplicaStore({ dir });
    const recovered = await store.open({ clusterId: 'exit', nodeId: 'n' });
    expect(recovered.entries).toHaveLength(50);
    expect(recovered.outbox).toEqual([]);
    expect(recovered.lastSequence).toBe(500);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
