// The behaviour every BlobStore of this package shares, run against each of them.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { isDigest, type BlobStore } from '@statemesh/contracts';

export function blobStoreBehaviour(make: () => Promise<BlobStore>): void {
  it('addresses blobs by SHA-256 lowercase hex and gives the bytes back', async () => {
    const store = await make();
    const bytes = new TextEncoder().encode('hello blobs');
    const digest = await store.put(bytes);
    expect(isDigest(digest)).toBe(true);
    expect(digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await store.has(digest)).toBe(true);
    expect(await store.get(digest)).toEqual(bytes);
    await store.close?.();
  });

  it('stores identical bytes once, counts, lists and deletes', async () => {
    const store = await make();
    const a = await store.put(new Uint8Array([1, 2, 3]));
    expect(await store.put(new Uint8Array([1, 2, 3]))).toBe(a);
    const b = await store.put(new Uint8Array(0));
    expect(await store.size()).toBe(2);
    const listed: string[] = [];
    for await (const digest of store.digests()) listed.push(digest);
    expect(listed.sort()).toEqual([a, b].sort());
    expect(await store.delete(a)).toBe(true);
    expect(await store.delete(a)).toBe(false);
    expect(await store.has(a)).toBe(false);
    expect(await store.get(a)).toBeUndefined();
    expect(await store.get(b)).toEqual(new Uint8Array(0));
    expect(await store.size()).toBe(1);
    await store.close?.();
  });

  it('keeps what was stored even when the caller changes its buffer afterwards', async () => {
    const store = await make();
    const bytes = new Uint8Array([5, 6, 7]);
    const digest = await store.put(bytes);
    bytes[0] = 99;
    const got = (await store.get(digest))!;
    expect(got).toEqual(new Uint8Array([5, 6, 7]));
    got[1] = 99;
    expect(await store.get(digest)).toEqual(new Uint8Array([5, 6, 7]));
    await store.close?.();
  });

  it('answers missing and malformed digests with nothing rather than an error', async () => {
    const store = await make();
    expect(await store.get('0'.repeat(64))).toBeUndefined();
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    expect(await store.has('ZZ')).toBe(false);
    expect(await store.delete('../x')).toBe(false);
    await store.close?.();
  });

  it('refuses a put of something other than bytes', async () => {
    const store = await make();
    await expect(store.put('text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await store.close?.();
  });
}
