// `replicated:N` of a large value covers its chunks on the peers, not only its reference (issue 15): a writer
// process that kills itself the moment `replicated:2` resolved, its blob folder deleted, leaves both peers holding
// the whole value. Real processes, Unix sockets and files.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError, type Session } from '@statemesh/session';
import { testCluster, waitFor, type TestCluster } from './cluster.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/blob-writer.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const MIB = 1024 * 1024;

let cluster: TestCluster;
afterEach(async () => cluster?.close());

/** Runs the writer until it kills itself; resolves with its one line of output and how it ended. */
function runWriter(args: readonly string[]): Promise<{ line: Record<string, string>; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', FIXTURE, ...args], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => {
    child.on('close', (_code, signal) => {
      clearTimeout(killer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      resolve({ line: last === '' ? {} : (JSON.parse(last) as Record<string, string>), signal, stderr });
    });
  });
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('replicated:N of a large value', () => {
  it('resolves only once both peers hold every chunk: the writer SIGKILLs itself then, its blobs deleted, and both peers read the whole 20 MiB', async () => {
    cluster = testCluster('held');
    const peers: Session[] = [];
    for (const id of ['b', 'c']) peers.push(await cluster.start(id, [], { dataDir: joinPath(cluster.dir, `data-${id}`), heartbeatIntervalMs: 100 }));
    const writerData = joinPath(cluster.dir, 'data-a');
    const run = await runWriter(['a', cluster.socket('a'), writerData, String(20 * MIB), '2', '60000', cluster.socket('b'), cluster.socket('c')]);
    expect({ failed: run.line.failed, stderr: run.stderr }).toEqual({ failed: undefined, stderr: expect.any(String) });
    expect(run.signal).toBe('SIGKILL');
    const digest = run.line.replicated!;
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    rmSync(joinPath(writerData, 'blobs'), { recursive: true, force: true });
    expect(existsSync(joinPath(writerData, 'blobs'))).toBe(false);
    for (const peer of peers) {
      // At once: no fetch is left to do, and the writer is gone.
      const value = peer.get('scan.volume');
      expect(value?.pending, `${peer.nodeId} holds the value`).toBe(false);
      expect(value?.bytes?.length).toBe(20 * MIB);
      expect(sha(value!.bytes!)).toBe(digest);
      // ...and its chunks are in the peer's own blob store (the manifest's digest is found locally).
      const before = peer.blobFetchStats().local;
      await peer.fetchBlob((value!.ref as { digest: string }).digest);
      expect(peer.blobFetchStats().local).toBe(before + 1);
    }
  }, 120_000);

  it('does not count a peer with hydrate lazy until something fetched the value there; TIMEOUT says which hold the reference only', async () => {
    cluster = testCluster('lazy');
    // Heartbeats of 1 s: a loaded machine must not make a look suspect to b's fetch.
    const a = await cluster.start('a', [], { heartbeatIntervalMs: 1000 });
    const b = await cluster.start('b', ['a'], { heartbeatIntervalMs: 1000, hydrate: 'lazy' });
    const bytes = new Uint8Array(2 * MIB).map((_, i) => (i * 7) % 253);
    const version = a.setBytes('scan.slice', bytes, 'bytes');
    const small = a.set('scan.note', 'inline');
    await a.replicated(small, { peers: 1, timeoutMs: 10_000 }); // b is up and acknowledging
    await waitFor('b to hold the reference', () => b.get('scan.slice')?.pending === true);
    const error = await a.replicated(version, { peers: 1, timeoutMs: 2_500 }).then(() => undefined, (e: unknown) => e);
    expect(isStatemeshError(error, 'TIMEOUT')).toBe(true);
    expect((error as Error).message).toMatch(/b applied its reference but does not hold its chunks/);
    expect((error as { details?: { referenceOnly?: string[] } }).details?.referenceOnly).toEqual(['b']);
    const fetched = await b.fetch('scan.slice');
    expect(sha(fetched.bytes!)).toBe(sha(bytes));
    await a.replicated(version, { peers: 1, timeoutMs: 10_000 });
  }, 30_000);

  it('a large write superseded at its path needs only its reference acknowledged', async () => {
    cluster = testCluster('superseded');
    const a = await cluster.start('a', [], { heartbeatIntervalMs: 100 });
    await cluster.start('b', ['a'], { heartbeatIntervalMs: 100, hydrate: 'lazy' });
    const first = a.setBytes('scan.slice', new Uint8Array(MIB).fill(3), 'bytes');
    const second = a.set('scan.slice', 'replaced');
    await a.replicated(second, { peers: 1, timeoutMs: 10_000 });
    // b never fetched the first value's chunks (lazy, and it was replaced): its reference is enough.
    await expect(a.replicated(first, { peers: 1, timeoutMs: 10_000 })).resolves.toBeUndefined();
  }, 30_000);
});
