// Bad input reaches a viewer: a manifest whose digests name no blob, a brick of the wrong size, a value that is
// not a manifest, a NaN camera. Each gives a clear StatemeshError; nothing wrong is installed; the view goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrickManifest } from '@statemesh/brick-manifest';
import { isStatemeshError, type StatemeshError } from '@statemesh/contracts';
import { waitFor } from '@statemesh/contracts/testing';
import type { Session } from '@statemesh/session';
import { VolumeView, putVolume, type PutVolumeResult } from '@statemesh/volume';
import { camera } from './camera.ts';
import { CountingStore, noise, nodes, type Nodes } from './nodes.ts';

let net: Nodes;
let writer: Session;
let reader: Session;
let good: PutVolumeResult;
// From outside the volume, looking at its centre: the whole 64³ volume is in view.
const WHOLE = camera([32, -150, 32], [32, 32, 32], 60, 1000);

beforeAll(async () => {
  net = nodes('bad-input');
  ({ session: writer } = await net.start('w'));
  ({ session: reader } = await net.start('r', ['w'], { hydrate: 'lazy' }));
  good = await putVolume(writer, 'good', noise(64 ** 3, Uint8Array), { dims: [64, 64, 64], voxelType: 'u8', brickDim: 16, levels: 1 });
});
afterAll(async () => net?.close());

/** Writes level 0 of `good` at `path` with brick `index`'s digest replaced, and waits for the reader to see it. */
async function tampered(path: string, index: number, digest: string): Promise<void> {
  const manifest = good.manifests[0]!;
  const bricks = manifest.bricks().map(({ index: i, ...brick }) => (i === index ? { ...brick, digest } : brick));
  writer.setBytes(path, BrickManifest.fromBricks(bricks, { volume: manifest.volume! }).encode(), 'brick-manifest');
  await waitFor(() => reader.get(path) !== undefined, { message: `${path} at the reader` });
}

function watchErrors(view: VolumeView): StatemeshError[] {
  const errors: StatemeshError[] = [];
  view.on('error', (error) => errors.push(error));
  return errors;
}

describe('a viewer given bad input', () => {
  it('a digest that names no blob: CHUNK_NOT_FOUND for that brick, the others load', async () => {
    await tampered('missing', 5, 'ab'.repeat(32));
    const view = new VolumeView(reader, 'missing');
    const errors = watchErrors(view);
    view.setCamera(WHOLE.viewProjection, WHOLE.eye);
    await view.whenIdle();
    expect(errors).toHaveLength(1);
    expect(isStatemeshError(errors[0], 'CHUNK_NOT_FOUND')).toBe(true);
    expect(errors[0]!.message).toMatch(/^@statemesh\/volume: brick 5 of level 0/);
    expect(view.brick(0, 5)).toBeUndefined();
    expect(view.stats()).toMatchObject({ bricksVisible: 64, bricksLoaded: 63, bricksFailed: 1 });
    view.close();
  });

  it('a brick of the wrong size: CORRUPT_INPUT, not installed, the others load', async () => {
    const short = await writer.putBlob(new Uint8Array(100));
    await tampered('short', 7, short);
    const view = new VolumeView(reader, 'short');
    const errors = watchErrors(view);
    const announced: number[] = [];
    view.on('brick', (_level, index) => announced.push(index));
    view.setCamera(WHOLE.viewProjection, WHOLE.eye);
    await view.whenIdle();
    expect(errors.map((e) => e.code)).toEqual(['CORRUPT_INPUT']);
    expect(errors[0]!.message).toContain('holds 100 bytes; its extent needs 4096');
    expect(announced).not.toContain(7);
    expect(announced).toHaveLength(63);
    expect(view.brick(0, 7)).toBeUndefined();
    view.close();
  });

  it('a peer that answers a brick with other bytes: CHUNK_DIGEST_MISMATCH, not installed, the others load', async () => {
    // A writer whose store answers one brick's digest with different bytes of the right size (a lying or broken peer).
    const lying = new (class extends CountingStore {
      target: string | undefined;
      override async get(digest: string): Promise<Uint8Array | undefined> {
        const bytes = await super.get(digest);
        return digest === this.target && bytes !== undefined ? bytes.map((b) => b ^ 0xff) : bytes;
      }
    })();
    const { session: liar } = await net.start('liar', [], {}, lying);
    const { session: victim } = await net.start('victim', ['liar'], { hydrate: 'lazy' });
    const written = await putVolume(liar, 'lied', noise(64 ** 3, Uint8Array, 7), { dims: [64, 64, 64], voxelType: 'u8', brickDim: 16, levels: 1 });
    lying.target = written.manifests[0]!.bricks()[9]!.digest;
    await waitFor(() => victim.get('lied') !== undefined, { message: 'the manifest at the victim' });
    const view = new VolumeView(victim, 'lied');
    const errors = watchErrors(view);
    const announced: number[] = [];
    view.on('brick', (_level, index) => announced.push(index));
    view.setCamera(WHOLE.viewProjection, WHOLE.eye);
    await view.whenIdle();
    expect(errors.map((e) => e.code)).toEqual(['CHUNK_DIGEST_MISMATCH']);
    expect(announced).not.toContain(9);
    expect(announced).toHaveLength(63);
    expect(view.brick(0, 9)).toBeUndefined();
    view.close();
  });

  it('a value that is not a manifest: CORRUPT_INPUT or BAD_MAGIC, and no volume', async () => {
    writer.setBytes('garbage', new Uint8Array(200_000).fill(7), 'brick-manifest');
    writer.set('json', { not: 'a manifest' });
    await waitFor(() => reader.get('garbage') !== undefined && reader.get('json') !== undefined, { message: 'both at the reader' });
    for (const [path, code] of [['garbage', 'BAD_MAGIC'], ['json', 'CORRUPT_INPUT']] as const) {
      const view = new VolumeView(reader, path);
      const errors = watchErrors(view);
      await waitFor(() => errors.length > 0, { message: `an error for ${path}` });
      expect(errors[0]!.code).toBe(code);
      view.setCamera(WHOLE.viewProjection, WHOLE.eye);
      await view.whenIdle();
      expect(view.stats()).toMatchObject({ levels: 0, bricksVisible: 0, bricksFetched: 0 });
      view.close();
    }
  });

  it('a camera of NaN: INVALID_ARGUMENT, the view keeps its camera and works on', async () => {
    const view = new VolumeView(reader, 'good');
    view.setCamera(WHOLE.viewProjection, WHOLE.eye);
    await view.whenIdle();
    const before = view.visible();
    expect(before.length).toBe(64);
    const nan = WHOLE.viewProjection.map((v, i) => (i === 5 ? Number.NaN : v));
    expect(() => view.setCamera(nan, WHOLE.eye)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^@statemesh\/volume: viewProjection must be 16 finite numbers/) }));
    expect(() => view.setCamera(WHOLE.viewProjection, [0, Number.NaN, 0])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => view.setCamera(Array.from({ length: 16 }, () => 0), WHOLE.eye)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(view.visible()).toEqual(before);
    // And on: a camera that sees a corner only.
    const corner = camera([-10, -10, -10], [0, 0, 0], 20, 40);
    view.setCamera(corner.viewProjection, corner.eye);
    await view.whenIdle();
    expect(view.visible().length).toBeGreaterThan(0);
    expect(view.visible().length).toBeLessThan(64);
    expect(view.visible().every((b) => b.loaded)).toBe(true);
    view.close();
    expect(() => view.setCamera(corner.viewProjection, corner.eye)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});
