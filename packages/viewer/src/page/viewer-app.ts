// The running viewer: a joined session, a VolumeView of one volume, the ray marcher, and the scene (camera,
// transfer function, annotations) read from and written to the tree, so that every tab and node shares it.
import type { BrickManifest, VolumeInfo } from '@statemesh/brick-manifest';
import type { Session } from '@statemesh/session/browser';
import { VolumeView } from '@statemesh/volume';
import type { ViewerPageConfig } from '../viewer-config.js';
import { transformPoint } from './mat4.js';
import { RayMarcher } from './ray-marcher.js';
import { DEFAULT_CAMERA, cameraFrame, orbit, parseCamera, zoom, type CameraFrame, type SceneCamera } from './scene-camera.js';
import { DEFAULT_TRANSFER, parseTransfer, transferTable, type SceneTransfer } from './transfer-function.js';
import { SharedConflicts } from './shared-conflicts.js';
import { findVolumes, readVolumeLevels } from './volume-levels.js';
import { rangeOf, toBytes, voxelValues, type VoxelRange } from './voxel-range.js';
import { renderPanel, showMessage } from './viewer-panel.js';

/** Camera moves received from other viewers kept for the latency figures. */
const LATENCY_SAMPLES = 2000;
/** The fewest milliseconds between two camera writes of a drag. */
const CAMERA_WRITE_MS = 30;
/** The fewest milliseconds between two frames. */
const FRAME_SPACING_MS = 50;
/** How long after a brick could not be fetched the view tries the bricks it misses again. */
const BRICK_RETRY_MS = 1000;

/** A viewer's counters, for scripts and tests (`window.statemeshViewer.stats()`). */
export interface ViewerCounters {
  readonly volume: string | undefined;
  readonly frames: number;
  readonly bricksDrawn: number;
  readonly cameraMoves: number;
  /** Milliseconds from another viewer's camera write to its arrival here, one per move received. */
  readonly cameraLatenciesMs: readonly number[];
  /** Conflicts this replica recorded and wrote under `<scene>.conflicts`, for every viewer to show. */
  readonly conflictsShared: number;
  /** Conflicts it recorded and has not written there yet (it does a few times a second). */
  readonly conflictsUnshared: number;
}

/** The viewer of one page. */
export class ViewerApp {
  readonly session: Session;
  readonly #config: ViewerPageConfig;
  readonly #canvas: HTMLCanvasElement;
  readonly #marcher: RayMarcher;
  #view: VolumeView | undefined;
  #volumePath: string | undefined;
  #volume: VolumeInfo | undefined;
  #manifests: ReadonlyMap<number, BrickManifest> = new Map();
  #range: VoxelRange | undefined;
  #waiting: { level: number; index: number; bytes: Uint8Array }[] = [];
  #camera: SceneCamera;
  #transfer: SceneTransfer;
  #frame: CameraFrame | undefined;
  #drawQueued = false;
  #drawTimer: ReturnType<typeof setTimeout> | undefined;
  #lastDrawAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #lastCameraWrite = 0;
  #cameraWriteTimer: ReturnType<typeof setTimeout> | undefined;
  #moves = 0;
  readonly #latencies: number[] = [];
  #frames = 0;
  #bricksDrawn = 0;
  #loading = false;
  readonly #stops: (() => void)[] = [];
  readonly #conflicts: SharedConflicts;

  constructor(session: Session, config: ViewerPageConfig, canvas: HTMLCanvasElement) {
    this.session = session;
    this.#config = config;
    this.#canvas = canvas;
    this.#marcher = new RayMarcher(canvas);
    this.#conflicts = new SharedConflicts(session, `${config.scene}.conflicts`);
    this.#camera = parseCamera(session.get(`${config.scene}.camera`)?.value) ?? DEFAULT_CAMERA;
    this.#transfer = parseTransfer(session.get(`${config.scene}.transfer`)?.value) ?? DEFAULT_TRANSFER;
    this.#marcher.setTransfer(transferTable(this.#transfer));
    this.#stops.push(
      session.watch(`${config.scene}.camera`, (changes) => {
        if (changes.every((c) => c.from === 'local')) return;
        const camera = parseCamera(session.get(`${config.scene}.camera`)?.value);
        if (camera === undefined) return;
        this.#camera = camera;
        if (camera.by !== session.nodeId && camera.sentAt !== undefined) {
          this.#latencies.push(performance.timeOrigin + performance.now() - camera.sentAt);
          if (this.#latencies.length > LATENCY_SAMPLES) this.#latencies.shift();
        }
        this.#cameraChanged();
      }),
      session.watch(`${config.scene}.transfer`, () => {
        const transfer = parseTransfer(session.get(`${config.scene}.transfer`)?.value);
        if (transfer === undefined) return;
        this.#transfer = transfer;
        this.#marcher.setTransfer(transferTable(transfer));
        this.#showTransfer();
        this.#queueDraw();
      }),
      session.watch(`${config.scene}.annotations`, () => this.#queueDraw()),
      session.watch('', (changes) => {
        const path = this.#volumePath;
        if (path === undefined ? changes.some((c) => c.type === 'brick-manifest') : changes.some((c) => c.path === path || c.path.startsWith(`${path}.levels.`))) void this.#load();
      }),
    );
    this.#wireControls();
    this.#showTransfer();
    const ticker = setInterval(() => this.#renderPanel(), 250);
    this.#stops.push(() => clearInterval(ticker));
    void this.#load();
    this.#cameraChanged();
  }

  /** The counters of this viewer. */
  counters(): ViewerCounters {
    return { volume: this.#volumePath, frames: this.#frames, bricksDrawn: this.#bricksDrawn, cameraMoves: this.#moves, cameraLatenciesMs: [...this.#latencies], conflictsShared: this.#conflicts.shared(), conflictsUnshared: this.#conflicts.unshared() };
  }

  /** The volume's view, once a volume is shown. */
  get view(): VolumeView | undefined {
    return this.#view;
  }

  /** Turns the camera as a drag of `dx`, `dy` pixels would, and writes it to the tree. */
  moveCamera(dx: number, dy: number): void {
    this.#camera = orbit(this.#camera, dx, dy);
    this.#localCameraMove();
  }

  /** Stops the view, the watches and the timers, and releases the GPU textures (the session is the caller's). */
  close(): void {
    for (const stop of this.#stops.splice(0)) stop();
    clearTimeout(this.#cameraWriteTimer);
    clearTimeout(this.#drawTimer);
    clearTimeout(this.#retryTimer);
    this.#view?.close();
    this.#marcher.dispose();
  }

  // ------------------------------------------------------------------ volume

  async #load(): Promise<void> {
    if (this.#loading) return;
    this.#loading = true;
    try {
      const path = this.#volumePath ?? this.#config.volume ?? new URLSearchParams(location.hash.slice(1)).get('volume') ?? findVolumes(this.session)[0];
      if (path === undefined) return;
      const read = await readVolumeLevels(this.session, path);
      if (read === undefined) return;
      this.#volumePath = path;
      this.#volume = read.volume;
      this.#manifests = read.manifests;
      const shapes = [...read.manifests].map(([level, m]) => ({ level, dims: m.volume!.dims, brickDim: m.volume!.brickDim }));
      this.#marcher.setVolume(read.volume.dims, shapes);
      if (this.#view === undefined) {
        this.#view = new VolumeView(this.session, path, { maxBytesInFlight: 4 * 1024 * 1024, cacheBytes: 256 * 1024 * 1024, log: (line) => console.warn(line) });
        this.#view.on('brick', (level, index, bytes) => this.#brick(level, index, bytes));
        this.#view.on('error', (error) => {
          showMessage(error.message, 'error');
          // The view gave up on that brick for now (a peer gone for a moment...): the same camera tries again.
          this.#retryTimer ??= setTimeout(() => {
            this.#retryTimer = undefined;
            showMessage(undefined);
            this.#cameraChanged();
          }, BRICK_RETRY_MS);
        });
      } else {
        // New manifests: the textures were made again; put back what the cache still holds.
        for (const { level, index, loaded } of this.#view.visible()) {
          const bytes = loaded ? this.#view.brick(level, index) : undefined;
          if (bytes !== undefined) this.#brick(level, index, bytes);
        }
      }
      this.#cameraChanged();
    } catch (error) {
      showMessage(`@statemesh/viewer: the volume could not be read: ${error instanceof Error ? error.message : String(error)}`, 'error');
    } finally {
      this.#loading = false;
    }
  }

  #brick(level: number, index: number, bytes: Uint8Array): void {
    const volume = this.#volume;
    const manifest = this.#manifests.get(level);
    if (volume === undefined || manifest === undefined || index >= manifest.length) return;
    const values = voxelValues(bytes, volume.voxelType);
    if (this.#range === undefined) {
      // The coarsest level covers the whole volume: its range scales every level alike.
      const coarsest = Math.max(...this.#manifests.keys());
      if (level !== coarsest) {
        this.#waiting.push({ level, index, bytes });
        return;
      }
      this.#range = rangeOf(values);
    }
    const brick = manifest.brick(index);
    if (!this.#marcher.draws(level)) return;
    this.#marcher.putBrick(level, brick.origin, brick.size, toBytes(values, this.#range));
    this.#bricksDrawn++;
    const waiting = this.#waiting.splice(0);
    for (const w of waiting) this.#brick(w.level, w.index, w.bytes);
    this.#queueDraw();
  }

  // ------------------------------------------------------------------ camera and drawing

  #localCameraMove(): void {
    this.#cameraChanged();
    const write = () => {
      this.#cameraWriteTimer = undefined;
      this.#lastCameraWrite = performance.now();
      this.#moves++;
      this.session.set(`${this.#config.scene}.camera`, { ...this.#camera, by: this.session.nodeId, seq: this.#moves, sentAt: performance.timeOrigin + performance.now() });
    };
    if (this.#cameraWriteTimer !== undefined) return;
    const wait = CAMERA_WRITE_MS - (performance.now() - this.#lastCameraWrite);
    if (wait <= 0) write();
    else this.#cameraWriteTimer = setTimeout(write, wait);
  }

  #cameraChanged(): void {
    const dims = this.#volume?.dims ?? [1, 1, 1];
    this.#frame = cameraFrame(this.#camera, dims, this.#canvas.width / Math.max(1, this.#canvas.height));
    this.#view?.setCamera(this.#frame.voxelViewProjection, this.#frame.voxelEye);
    this.#queueDraw();
  }

  #queueDraw(): void {
    if (this.#drawQueued) return;
    this.#drawQueued = true;
    // A timer rather than requestAnimationFrame: a tab in the background still shows the latest scene when raised.
    // Frames are spaced by FRAME_SPACING_MS at least: a software GPU (SwiftShader) then leaves time for the network.
    const wait = Math.max(16, FRAME_SPACING_MS - (performance.now() - this.#lastDrawAt));
    this.#drawTimer = setTimeout(() => {
      this.#drawTimer = undefined;
      this.#drawQueued = false;
      if (this.#frame === undefined) return;
      this.#marcher.render(this.#frame);
      this.#lastDrawAt = performance.now();
      this.#frames++;
      this.#drawAnnotations(this.#frame);
    }, wait);
  }

  #drawAnnotations(frame: CameraFrame): void {
    const layer = document.getElementById('labels');
    if (layer === null) return;
    const labels: HTMLElement[] = [];
    for (const entry of this.session.entries(`${this.#config.scene}.annotations`)) {
      const a = annotation(entry.value);
      if (a === undefined) continue;
      const [x, y, z] = transformPoint(frame.viewProjection, a.position);
      if (z < -1 || z > 1) continue;
      const label = document.createElement('div');
      label.className = 'label';
      label.textContent = a.text;
      label.style.left = `${((x + 1) / 2) * 100}%`;
      label.style.top = `${((1 - y) / 2) * 100}%`;
      labels.push(label);
    }
    layer.replaceChildren(...labels);
  }

  // ------------------------------------------------------------------ controls and panel

  #wireControls(): void {
    let dragging: { x: number; y: number } | undefined;
    const canvas = this.#canvas;
    const on = <K extends keyof HTMLElementEventMap>(element: HTMLElement, type: K, listener: (event: HTMLElementEventMap[K]) => void) => {
      element.addEventListener(type, listener);
      this.#stops.push(() => element.removeEventListener(type, listener));
    };
    on(canvas, 'pointerdown', (event) => {
      dragging = { x: event.clientX, y: event.clientY };
      canvas.setPointerCapture(event.pointerId);
    });
    on(canvas, 'pointermove', (event) => {
      if (dragging === undefined) return;
      this.moveCamera(event.clientX - dragging.x, event.clientY - dragging.y);
      dragging = { x: event.clientX, y: event.clientY };
    });
    on(canvas, 'pointerup', () => (dragging = undefined));
    on(canvas, 'wheel', (event) => {
      event.preventDefault();
      this.#camera = zoom(this.#camera, Math.sign(event.deltaY));
      this.#localCameraMove();
    });
    const transferInput = () => {
      const value = (id: string) => Number((document.getElementById(id) as HTMLInputElement | null)?.value ?? Number.NaN) / 100;
      const colormap = (document.getElementById('colormap') as HTMLSelectElement | null)?.value;
      const transfer = parseTransfer({ colormap, low: value('low'), high: value('high'), opacity: value('opacity') });
      if (transfer !== undefined) this.session.set(`${this.#config.scene}.transfer`, transfer);
    };
    for (const id of ['colormap', 'low', 'high', 'opacity']) {
      const element = document.getElementById(id);
      if (element !== null) on(element, 'change', transferInput);
    }
    const form = document.getElementById('annotate') as HTMLFormElement | null;
    if (form !== null) {
      on(form, 'submit', (event) => {
        event.preventDefault();
        const input = form.elements.namedItem('text') as HTMLInputElement | null;
        const text = input?.value.trim() ?? '';
        if (text === '') return;
        const id = `${this.session.nodeId}-${Date.now().toString(36)}`;
        this.session.set(`${this.#config.scene}.annotations.${id}`, { text: text.slice(0, 200), position: this.#camera.target, by: this.session.nodeId });
        if (input !== null) input.value = '';
      });
    }
  }

  #showTransfer(): void {
    const set = (id: string, value: string) => {
      const element = document.getElementById(id) as HTMLInputElement | HTMLSelectElement | null;
      if (element !== null) element.value = value;
    };
    set('colormap', this.#transfer.colormap);
    set('low', String(Math.round(this.#transfer.low * 100)));
    set('high', String(Math.round(this.#transfer.high * 100)));
    set('opacity', String(Math.round(this.#transfer.opacity * 100)));
  }

  #renderPanel(): void {
    const volume = this.#volume;
    const voxelBytes = volume === undefined ? 0 : { u8: 1, i8: 1, u16: 2, i16: 2, f16: 2, u32: 4, i32: 4, f32: 4, f64: 8 }[volume.voxelType];
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]!;
    renderPanel({
      nodeId: this.session.nodeId,
      volume: this.#volumePath,
      volumeInfo: volume === undefined ? undefined : `${volume.dims.join('×')} ${volume.voxelType}, ${this.#manifests.size} level${this.#manifests.size === 1 ? '' : 's'}`,
      volumeBytes: volume === undefined ? 0 : volume.dims[0] * volume.dims[1] * volume.dims[2] * voxelBytes,
      stats: this.#view?.stats(),
      peers: this.session.status().peers,
      conflicts: this.#conflicts.update(8),
      latency: sorted.length === 0 ? undefined : { p50: at(50), p99: at(99), count: sorted.length },
      annotations: this.session.entries(`${this.#config.scene}.annotations`).flatMap((entry) => {
        const a = annotation(entry.value);
        return a === undefined ? [] : [{ id: entry.path, text: a.text, by: a.by }];
      }),
    });
  }
}

/** An annotation as read from the tree, or undefined when it is not one. */
function annotation(value: unknown): { text: string; position: [number, number, number]; by: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const p = v['position'];
  if (typeof v['text'] !== 'string' || !Array.isArray(p) || p.length !== 3 || !p.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  return { text: v['text'].slice(0, 200), position: [p[0], p[1], p[2]], by: typeof v['by'] === 'string' ? v['by'] : '?' };
}

