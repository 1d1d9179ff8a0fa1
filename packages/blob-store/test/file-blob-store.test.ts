import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { FileBlobStore, getChunked, loadManifest, missingChunks, putChunked, sha256Hex } from '@statemesh/blob-store';
import { blobStoreBehaviour } from './blob-store-behaviour.ts';

const root = await mkdtemp(join(tmpdir(), 'statemesh-blob-store-'));
let dirs = 0;
const freshDir = (): string => join(root, `store-${dirs++}`);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('FileBlobStore', () => {
  blobStoreBehaviour(() => FileBlobStore.open(freshDir()));

  it('lays a blob out as dir/ab/cdef… holding exactly its bytes', async () => {
    const dir = freshDir();
    const store = await FileBlobStore.open(dir);
    const bytes = new TextEncoder().encode('laid out');
    const digest = await store.put(bytes);
    const file = join(dir, digest.slice(0, 2), digest.slice(2));
    expect(store.pathOf(digest)).toBe(file);
    expect(new Uint8Array(await readFile(file))).toEqual(bytes);
    expect(readdirSync(join(dir, digest.slice(0, 2)))).toEqual([digest.slice(2)]); // no temporary file left
    await store.close();
  });

  it('rebuilds its index on open, after a crash: leftover temporary files are ignored and removed', async () => {
    const dir = freshDir();
    const first = await FileBlobStore.open(dir);
    const kept = await first.put(new TextEncoder().encode('survives the crash'));
    // No close(): the process "dies" here, in the middle of writing another blob.
    const half = sha256Hex(new TextEncoder().encode('never finished'));
    const sub = join(dir, half.slice(0, 2));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub, { recursive: true });
    const leftover = join(sub, `${half.slice(2)}.4242-deadbeef0000.tmp`);
    writeFileSync(leftover, 'never fin');
    writeFileSync(join(dir, 'README.txt'), 'not a blob'); // unrelated files are left alone

    const reopened = await FileBlobStore.open(dir);
    expect(await reopened.size()).toBe(1);
    expect(await reopened.has(kept)).toBe(true);
    expect(await reopened.has(half)).toBe(false);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(join(dir, 'README.txt'))).toBe(true);
    expect(new TextDecoder().decode(await reopened.get(kept))).toBe('survives the crash');
    await reopened.close();
    await first.close();
  });

  it('keeps every acknowledged blob, whole, when the writing process is killed mid-put', async () => {
    const dir = freshDir();
    const fixture = fileURLToPath(new URL('fixtures/crash-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=@statemesh/source', '--import', 'tsx', fixture, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: string[] = [];
    let output = '';
    let errors = '';
    child.stderr.on('data', (data: Buffer) => (errors += data.toString()));
    try {
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (data: Buffer) => {
          output += data.toString();
          const lines = output.split('\n');
          output = lines.pop()!;
          acknowledged.push(...lines);
          if (acknowledged.length >= 20) child.kill('SIGKILL'); // mid-put of the next blob
        });
        child.on('exit', () => resolve());
      });
    } finally {
      child.kill('SIGKILL');
    }
    expect(errors).toBe('');
    expect(acknowledged.length).toBeGreaterThanOrEqual(20);
    const reopened = await FileBlobStore.open(dir);
    for (const digest of acknowledged) expect(sha256Hex((await reopened.get(digest))!)).toBe(digest);
    for await (const digest of reopened.digests()) expect(sha256Hex((await reopened.get(digest))!)).toBe(digest);
    const leftovers = readdirSync(dir, { recursive: true }).filter((name) => String(name).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
    await reopened.close();
  });

  it('detects a blob corrupted on disk: CHUNK_DIGEST_MISMATCH, never the bytes, and the blob reads as missing after', async () => {
    const dir = freshDir();
    const store = await FileBlobStore.open(dir);
    const digest = await store.put(new TextEncoder().encode('precious bytes'));
    await writeFile(store.pathOf(digest), 'precious bytez');
    const error = await store.get(digest).catch((e: unknown) => e);
    expect(isStatemeshError(error, 'CHUNK_DIGEST_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(/^@statemesh\/blob-store: /);
    expect(await store.has(digest)).toBe(false); // so a hydrator fetches it again
    expect(await store.get(digest)).toBeUndefined();
    expect(await store.put(new TextEncoder().encode('precious bytes'))).toBe(digest);
    expect(new TextDecoder().decode(await store.get(digest))).toBe('precious bytes');
    await store.close();
  });

  it('detects a chunk of a chunked blob corrupted on disk, names it, and lists it as missing after', async () => {
    const store = await FileBlobStore.open(freshDir());
    const value = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff);
    const ref = await putChunked(store, value, { chunkSize: 16 * 1024 });
    expect(Buffer.from(await getChunked(store, ref)).equals(value)).toBe(true);
    const victim = (await loadManifest(store, ref)).chunks[2]!.digest;
    const bytes = await readFile(store.pathOf(victim));
    bytes[100] = bytes[100]! ^ 1; // one flipped bit, same size
    await writeFile(store.pathOf(victim), bytes);
    const error = await getChunked(store, ref).catch((e: unknown) => e);
    expect(isStatemeshError(error, 'CHUNK_DIGEST_MISMATCH')).toBe(true);
    expect((error as { details: { digest: string } }).details.digest).toBe(victim);
    expect(await missingChunks(store, ref)).toEqual([victim]);
    await store.close();
  });

  it('forgets a blob whose file was removed behind its back', async () => {
    const store = await FileBlobStore.open(freshDir());
    const digest = await store.put(new Uint8Array([1]));
    await rm(store.pathOf(digest));
    expect(await store.get(digest)).toBeUndefined();
    expect(await store.has(digest)).toBe(false);
    await store.close();
  });

  it('writes concurrent puts of the same bytes once', async () => {
    const dir = freshDir();
    const store = await FileBlobStore.open(dir);
    const bytes = new Uint8Array(10_000).fill(7);
    const digests = await Promise.all([store.put(bytes), store.put(bytes), store.put(bytes)]);
    expect(new Set(digests).size).toBe(1);
    expect(readdirSync(join(dir, digests[0]!.slice(0, 2)))).toHaveLength(1);
    expect(await store.size()).toBe(1);
    await store.close();
  });

  it('refuses use after close with CLOSED, and close is idempotent', async () => {
    const store = await FileBlobStore.open(freshDir());
    await store.close();
    await store.close();
    await expect(store.put(new Uint8Array([1]))).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(store.get('0'.repeat(64))).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(store.has('0'.repeat(64))).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(store.size()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('reports an unusable directory as IO_ERROR', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    await expect(FileBlobStore.open(file)).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(FileBlobStore.open('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
