// A 256³ volume over real Unix sockets: a lazy viewer follows a camera path and fetches exactly the bricks its
// frusta see, coarsest first; camera moves cancel pointless fetches; viewers serve each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bricksInFrustum, frustumFromMatrix, type BrickManifest } from '@statemesh/brick-manifest';
import { waitFor } from '@statemesh/contracts/testing';
import type { Session } from '@statemesh/session';
import { VolumeView, planesAtLevel, putVolume, type PutVolumeResult } from '@statemesh/volume';
import { camera, orbit, type Camera } from './camera.ts';
import { noise, nodes, type CountingStore, type Nodes } from './nodes.ts';

const DIMS = [256, 256, 256] as const;
const PATH = 'scene.volume';
const CENTRE = [128, 128, 128] as const;
// Eyes inside the volume looking outward, 40° field of view: each frustum sees a wedge, the union an annulus.
const PATH_20 = orbit([128, 128, 128], 60, 20, { outward: true, fovDegrees: 40, far: 300 });

let net: Nodes;
let writer: Session;
let writerStore: CountingStore;
let written: PutVolumeResult;

beforeAll(async () => {
  net = nodes();
  ({ session: writer, store: writerStore } = await net.start('w'));
  written = await putVolume(writer, PATH, noise(DIMS[0] * DIMS[1] * DIMS[2]), { dims: [...DIMS], voxelType: 'u16' });
  await writer.flush();
});
afterAll(async () => net?.close());

/** Brute force: every brick of every level inside the camera's frustum, as `level:index`. */
function bruteForce(manifests: readonly (BrickManifest | undefined)[], cam: Camera): Set<string> {
  const planes = frustumFromMatrix(cam.viewProjection);
  const visible = new Set<string>();
  manifests.forEach((manifest, level) => {
    if (manifest === undefined) return;
    for (const index of bricksInFrustum(manifest, planesAtLevel(planes, level), { method: 'brute-force' })) visible.add(`${level}:${index}`);
  });
  return visible;
}

function brickBytesOf(key: string): number {
  const [level, index] = key.split(':').map(Number) as [number, number];
  return written.manifests[level]!.brick(index).storedBytes!;
}

async function viewer(id: string, seeds: readonly string[]): Promise<{ session: Session; store: CountingStore }> {
  const node = await net.start(id, seeds, { hydrate: 'lazy' });
  await waitFor(() => node.session.get(PATH) !== undefined, { message: `${id} to see the volume` });
  return node;
}

describe('putVolume', () => {
  it('writes every level down to one brick, with a blob per brick named by its digest', () => {
    expect(written.levels).toBe(4); // 8³, 4³, 2³, 1 bricks
    expect(written.manifests.map((m) => m!.length)).toEqual([512, 64, 8, 1]);
    expect(written.bytes).toBe(2 * (256 ** 3 + 128 ** 3 + 64 ** 3 + 32 ** 3));
    for (const manifest of written.manifests) for (const brick of manifest!.bricks()) expect(brick.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(writer.get(PATH)?.type).toBe('brick-manifest');
    expect(writer.get(`${PATH}.levels.3`)?.type).toBe('brick-manifest');
  });
});

describe('VolumeView over IPC', () => {
  it('loads every brick inside each frustum of a 20-step path and fetches nothing else', async () => {
    const { session } = await viewer('v', ['w']);
    writerStore.reads.clear(); // from here on: what the writer serves to this viewer
    const view = new VolumeView(session, PATH, { maxBytesInFlight: 1 << 20, cacheBytes: 1 << 30 });
    const fetched: string[] = [];
    view.on('brick', (level, index, bytes) => {
      fetched.push(`${level}:${index}`);
      expect(bytes.byteLength).toBe(brickBytesOf(`${level}:${index}`));
    });
    const everVisible = new Set<string>();
    for (const [step, cam] of PATH_20.entries()) {
      view.setCamera(cam.viewProjection, cam.eye);
      await view.whenIdle();
      const expected = bruteForce(written.manifests, cam);
      for (const key of expected) everVisible.add(key);
      const visible = view.visible();
      expect(new Set(visible.map((b) => `${b.level}:${b.index}`)), `step ${step}`).toEqual(expected);
      expect(visible.every((b) => b.loaded), `step ${step}: every visible brick loaded`).toBe(true);
    }
    expect(fetched[0]).toBe('3:0'); // the coarsest picture first
    const stats = view.stats();
    expect(stats.levels).toBe(4);
    expect(stats.bricksTotal).toBe(585);
    expect(fetched.filter((key) => !everVisible.has(key))).toEqual([]); // nothing outside every frustum
    // The serving side agrees: every brick blob the writer handed out is one of a visible brick.
    const digestOf = (key: string) => written.manifests[Number(key.split(':')[0])]!.brick(Number(key.split(':')[1])).digest!;
    const visibleDigests = new Set([...everVisible].map(digestOf));
    const brickDigests = new Set(written.manifests.flatMap((m) => m!.bricks().map((b) => b.digest!)));
    const served = [...writerStore.reads.keys()].filter((digest) => brickDigests.has(digest));
    expect(served.length).toBe(everVisible.size);
    expect(served.filter((digest) => !visibleDigests.has(digest))).toEqual([]);
    expect(new Set(fetched).size).toBe(fetched.length); // nothing twice (the cache holds everything)
    const visibleBytes = [...everVisible].reduce((sum, key) => sum + brickBytesOf(key), 0);
    expect(stats.bytesFetched).toBeLessThanOrEqual(visibleBytes);
    expect(everVisible.size).toBeLessThan(585); // the path does not see the whole volume...
    expect(stats.bytesFetched).toBeLessThan(stats.bytesTotal); // ...and the view did not fetch it
    expect(stats.bricksFailed).toBe(0);
    view.close();
  });

  it('cancels the fetches a camera move made pointless, and loads what the new camera sees', async () => {
    const { session } = await viewer('v2', ['w']);
    const view = new VolumeView(session, PATH, { maxBytesInFlight: 4 * 65_536, cacheBytes: 1 << 30 });
    await view.whenIdle(); // manifests in
    const fetched = new Set<string>();
    view.on('brick', (level, index) => fetched.add(`${level}:${index}`));
    const eye = [130, 127, 129] as const;
    const east = camera(eye, [400, 127, 129], 30, 300);
    const west = camera(eye, [-200, 127, 129], 30, 300);
    const coarse = new Promise<void>((resolve) => view.on('brick', () => resolve()));
    view.setCamera(east.viewProjection, east.eye);
    await coarse; // the coarsest brick first, alone; finer ones are on their way now
    expect(view.stats().bytesInFlight).toBeGreaterThan(0);
    view.setCamera(west.viewProjection, west.eye); // before they arrived
    expect(view.stats().bricksCancelled).toBeGreaterThan(0);
    await view.whenIdle();
    const westVisible = bruteForce(written.manifests, west);
    expect(view.visible().every((b) => b.loaded)).toBe(true);
    expect(new Set(view.visible().map((b) => `${b.level}:${b.index}`))).toEqual(westVisible);
    // Of the east bricks only the ones west also sees were fetched (the cancelled ones never arrived).
    expect([...fetched].filter((key) => !westVisible.has(key))).toEqual([]);
    view.close();
  });

  it('a second lazy viewer gets its bricks from the first: the writer serves each brick once', async () => {
    const { session: first, store: firstStore } = await viewer('first', ['w']);
    const { session: second } = await viewer('second', ['first']); // a line: w - first - second
    const steps = PATH_20.slice(0, 10);
    const brickDigests = new Set(written.manifests.flatMap((m) => m!.bricks().map((b) => b.digest!)));
    const servedBy = (store: CountingStore) => [...store.reads].filter(([digest]) => brickDigests.has(digest));
    writerStore.reads.clear();

    const errors: string[] = [];
    const firstView = new VolumeView(first, PATH, { cacheBytes: 1 << 30 });
    firstView.on('error', (error) => errors.push(`first: ${error.message}`));
    for (const cam of steps) {
      firstView.setCamera(cam.viewProjection, cam.eye);
      await firstView.whenIdle();
      expect({ unloaded: firstView.visible().filter((b) => !b.loaded), errors }).toEqual({ unloaded: [], errors: [] });
    }
    firstView.close();
    firstStore.reads.clear(); // from here on, reads of first's store are what it serves

    const secondView = new VolumeView(second, PATH, { cacheBytes: 1 << 30 });
    secondView.on('error', (error) => errors.push(`second: ${error.message}`));
    for (const cam of steps) {
      secondView.setCamera(cam.viewProjection, cam.eye);
      await secondView.whenIdle();
      expect({ unloaded: secondView.visible().filter((b) => !b.loaded), errors }).toEqual({ unloaded: [], errors: [] });
    }
    const got = secondView.stats().bricksFetched;
    secondView.close();
    expect(got).toBeGreaterThan(50);
    expect(second.blobFetchStats().byPeer).toEqual({ first: second.blobFetchStats().fetched });
    const servedByFirst = servedBy(firstStore).reduce((sum, [, n]) => sum + n, 0);
    expect(servedByFirst).toBeGreaterThanOrEqual(got); // the serving side counted them
    const servedByWriter = servedBy(writerStore);
    expect(servedByWriter.length).toBeGreaterThan(0);
    expect(servedByWriter.every(([, n]) => n === 1)).toBe(true); // each brick once, to the first viewer
    expect(servedByWriter.length).toBeLessThan(got + 1); // the second viewer took nothing from the writer
  });
});

describe('viewers in a mesh', () => {
  it('a second viewer connected to the writer too takes its bricks from the first: the writer is spared', async () => {
    const { session: first } = await viewer('mesh1', ['w']);
    const { session: second } = await viewer('mesh2', ['w', 'mesh1']); // a triangle
    await waitFor(() => second.status().peerCount === 2, { message: 'mesh2 sees both peers' });
    const steps = PATH_20.slice(10, 16);
    const brickDigests = new Set(written.manifests.flatMap((m) => m!.bricks().map((b) => b.digest!)));
    writerStore.reads.clear();
    for (const session of [first, second]) {
      const view = new VolumeView(session, PATH, { cacheBytes: 1 << 30 });
      for (const cam of steps) {
        view.setCamera(cam.viewProjection, cam.eye);
        await view.whenIdle();
        expect(view.visible().filter((b) => !b.loaded)).toEqual([]);
      }
      view.close();
    }
    const fetched = second.blobFetchStats();
    expect(fetched.fetched).toBeGreaterThan(30);
    expect(fetched.byPeer).toEqual({ mesh1: fetched.fetched }); // everything from the first viewer
    const servedByWriter = [...writerStore.reads].filter(([digest]) => brickDigests.has(digest));
    expect(servedByWriter.every(([, n]) => n === 1)).toBe(true); // each brick once, to the first viewer
    expect(first.blobFetchStats().byPeer).toEqual({ w: first.blobFetchStats().fetched });
  });
});

describe('centre check', () => {
  it('the test orbit stays inside the volume', () => {
    for (const cam of PATH_20) for (let axis = 0; axis < 3; axis++) expect(Math.abs(cam.eye[axis]! - CENTRE[axis]!)).toBeLessThanOrEqual(60);
  });
});
