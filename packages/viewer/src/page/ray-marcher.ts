// A small WebGL2 ray marcher: one 3D texture per level of detail drawn (bricks copied in at their place as they
// arrive) and beside it an occupancy texture of that level's brick grid; each ray samples the finest level whose
// brick at that point is loaded, so the picture starts coarse and sharpens brick by brick.
import { StatemeshError } from '@statemesh/session/browser';
import type { CameraFrame } from './scene-camera.js';
import type { Vec3 } from './mat4.js';

/** The shape of one level of detail. */
export interface LevelShape {
  readonly level: number;
  /** The level's size in voxels. */
  readonly dims: Vec3;
  readonly brickDim: Vec3;
}

/** Levels drawn at once, finest first (a sampler per level and one per occupancy grid). */
export const MAX_DRAWN_LEVELS = 4;
/** The largest level texture made, in voxels (one byte each): finer levels are fetched but not drawn. */
export const MAX_LEVEL_VOXELS = 2 ** 25;
/** The background colour (sRGB bytes): the pixel check of the tests counts what differs from it. */
export const BACKGROUND: Vec3 = [16, 20, 26];

const VERTEX = `#version 300 es
in vec2 aPosition;
out vec2 vNdc;
void main() { vNdc = aPosition; gl_Position = vec4(aPosition, 0.0, 1.0); }`;

const FRAGMENT = `#version 300 es
precision highp float;
precision highp sampler3D;
in vec2 vNdc;
out vec4 outColor;
uniform mat4 uInverseViewProjection;
uniform vec3 uEye;
uniform vec3 uHalf;
uniform vec3 uBackground;
uniform int uLevels;
uniform sampler3D uVolume0, uVolume1, uVolume2, uVolume3;
uniform sampler3D uOccupied0, uOccupied1, uOccupied2, uOccupied3;
uniform vec3 uScale[4];
uniform vec3 uGridScale[4];
uniform sampler2D uTransfer;
uniform float uSteps;

bool pick(sampler3D occupied, sampler3D volume, vec3 gridScale, vec3 scale, vec3 p, out float value) {
  if (texture(occupied, p * gridScale).r < 0.5) return false;
  value = texture(volume, p * scale).r;
  return true;
}

bool valueAt(vec3 p, out float value) {
  if (uLevels > 0 && pick(uOccupied0, uVolume0, uGridScale[0], uScale[0], p, value)) return true;
  if (uLevels > 1 && pick(uOccupied1, uVolume1, uGridScale[1], uScale[1], p, value)) return true;
  if (uLevels > 2 && pick(uOccupied2, uVolume2, uGridScale[2], uScale[2], p, value)) return true;
  if (uLevels > 3 && pick(uOccupied3, uVolume3, uGridScale[3], uScale[3], p, value)) return true;
  return false;
}

void main() {
  vec4 far = uInverseViewProjection * vec4(vNdc, 1.0, 1.0);
  vec3 dir = normalize(far.xyz / far.w - uEye);
  vec3 inv = 1.0 / dir;
  vec3 t0 = (-uHalf - uEye) * inv;
  vec3 t1 = (uHalf - uEye) * inv;
  vec3 tMin = min(t0, t1);
  vec3 tMax = max(t0, t1);
  float tNear = max(max(tMin.x, tMin.y), max(tMin.z, 0.0));
  float tFar = min(min(tMax.x, tMax.y), tMax.z);
  vec4 sum = vec4(0.0);
  if (tFar > tNear) {
    float dt = length(uHalf) * 2.0 / uSteps;
    for (int i = 0; i < 1024; i++) {
      float t = tNear + (float(i) + 0.5) * dt;
      if (t > tFar || sum.a > 0.97) break;
      vec3 p = (uEye + dir * t) / (2.0 * uHalf) + 0.5;
      float value;
      if (!valueAt(p, value)) continue;
      vec4 c = texture(uTransfer, vec2(value, 0.5));
      float a = 1.0 - pow(1.0 - c.a, dt * 100.0);
      sum.rgb += (1.0 - sum.a) * a * c.rgb;
      sum.a += (1.0 - sum.a) * a;
    }
  }
  outColor = vec4(sum.rgb + (1.0 - sum.a) * uBackground, 1.0);
}`;

interface DrawnLevel {
  readonly shape: LevelShape;
  readonly grid: Vec3;
  readonly volume: WebGLTexture;
  readonly occupied: WebGLTexture;
  readonly occupancy: Uint8Array;
}

/** Draws a volume from the bricks it is given; every texture is released by `dispose()`. */
export class RayMarcher {
  readonly #gl: WebGL2RenderingContext;
  readonly #program: WebGLProgram;
  readonly #buffer: WebGLBuffer;
  readonly #transfer: WebGLTexture;
  readonly #empty: WebGLTexture;
  #levels: DrawnLevel[] = [];
  #fullDims: Vec3 = [1, 1, 1];

  constructor(canvas: HTMLCanvasElement) {
    const gl = canvas.getContext('webgl2', { antialias: false, preserveDrawingBuffer: true });
    if (gl === null) throw new StatemeshError('INVALID_CONFIG', '@statemesh/viewer: this browser gives no WebGL2 context; use a browser with WebGL2 (or enable hardware acceleration)');
    this.#gl = gl;
    this.#program = program(gl);
    this.#buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#buffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.#transfer = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, this.#transfer);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, 256, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(256 * 4));
    setFiltering(gl, gl.TEXTURE_2D, gl.LINEAR);
    this.#empty = texture3d(gl, [1, 1, 1], gl.NEAREST);
  }

  /** Makes the textures of a volume of `fullDims` voxels: the finest levels that fit, at most {@link MAX_DRAWN_LEVELS}. */
  setVolume(fullDims: Vec3, levels: readonly LevelShape[]): void {
    this.#release();
    this.#fullDims = fullDims;
    const gl = this.#gl;
    const maxSize = gl.getParameter(gl.MAX_3D_TEXTURE_SIZE) as number;
    const fits = [...levels]
      .sort((a, b) => a.level - b.level)
      .filter((s) => s.dims[0] * s.dims[1] * s.dims[2] <= MAX_LEVEL_VOXELS && s.dims.every((d) => d <= maxSize));
    this.#levels = fits.slice(0, MAX_DRAWN_LEVELS).map((shape) => {
      const grid: Vec3 = [0, 1, 2].map((axis) => Math.ceil(shape.dims[axis]! / shape.brickDim[axis]!)) as unknown as Vec3;
      const occupancy = new Uint8Array(grid[0] * grid[1] * grid[2]);
      const occupied = texture3d(gl, grid, gl.NEAREST);
      return { shape, grid, volume: texture3d(gl, shape.dims, gl.LINEAR), occupied, occupancy };
    });
  }

  /** Whether bricks of `level` are drawn (false for levels too large for a texture, or beyond the drawn ones). */
  draws(level: number): boolean {
    return this.#levels.some((l) => l.shape.level === level);
  }

  /** Copies a brick's voxels (one byte each, x fastest) to its place in its level. */
  putBrick(level: number, origin: Vec3, size: Vec3, voxels: Uint8Array): void {
    const drawn = this.#levels.find((l) => l.shape.level === level);
    if (drawn === undefined) return;
    const gl = this.#gl;
    gl.bindTexture(gl.TEXTURE_3D, drawn.volume);
    gl.texSubImage3D(gl.TEXTURE_3D, 0, origin[0], origin[1], origin[2], size[0], size[1], size[2], gl.RED, gl.UNSIGNED_BYTE, voxels);
    const [bx, by, bz] = [0, 1, 2].map((axis) => Math.floor(origin[axis]! / drawn.shape.brickDim[axis]!)) as [number, number, number];
    drawn.occupancy[(bz * drawn.grid[1] + by) * drawn.grid[0] + bx] = 255;
    gl.bindTexture(gl.TEXTURE_3D, drawn.occupied);
    gl.texSubImage3D(gl.TEXTURE_3D, 0, bx, by, bz, 1, 1, 1, gl.RED, gl.UNSIGNED_BYTE, new Uint8Array([255]));
  }

  /** Sets the colour and opacity of each of the 256 values (RGBA bytes). */
  setTransfer(table: Uint8Array): void {
    const gl = this.#gl;
    gl.bindTexture(gl.TEXTURE_2D, this.#transfer);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, 256, 1, gl.RGBA, gl.UNSIGNED_BYTE, table);
  }

  /** Draws one frame from `frame`'s camera. */
  render(frame: CameraFrame): void {
    const gl = this.#gl;
    const canvas = gl.canvas as HTMLCanvasElement;
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.useProgram(this.#program);
    const at = (name: string) => gl.getUniformLocation(this.#program, name);
    gl.uniformMatrix4fv(at('uInverseViewProjection'), false, new Float32Array(frame.inverseViewProjection));
    gl.uniform3fv(at('uEye'), new Float32Array(frame.eye));
    gl.uniform3fv(at('uHalf'), new Float32Array(frame.halfExtent));
    gl.uniform3fv(at('uBackground'), new Float32Array(BACKGROUND.map((c) => c / 255)));
    gl.uniform1i(at('uLevels'), this.#levels.length);
    gl.uniform1f(at('uSteps'), Math.min(512, Math.max(64, Math.max(...this.#fullDims))));
    const scale: number[] = [];
    const gridScale: number[] = [];
    for (let i = 0; i < MAX_DRAWN_LEVELS; i++) {
      const drawn = this.#levels[i];
      gl.activeTexture(gl.TEXTURE0 + i);
      gl.bindTexture(gl.TEXTURE_3D, drawn?.volume ?? this.#empty);
      gl.uniform1i(at(`uVolume${i}`), i);
      gl.activeTexture(gl.TEXTURE0 + MAX_DRAWN_LEVELS + i);
      gl.bindTexture(gl.TEXTURE_3D, drawn?.occupied ?? this.#empty);
      gl.uniform1i(at(`uOccupied${i}`), MAX_DRAWN_LEVELS + i);
      for (let axis = 0; axis < 3; axis++) {
        // p (0 … 1 over the full volume) to this level's texture and to its brick grid.
        const voxels = drawn === undefined ? 1 : this.#fullDims[axis]! / 2 ** drawn.shape.level;
        scale.push(drawn === undefined ? 1 : voxels / drawn.shape.dims[axis]!);
        gridScale.push(drawn === undefined ? 1 : voxels / (drawn.grid[axis]! * drawn.shape.brickDim[axis]!));
      }
    }
    gl.uniform3fv(at('uScale'), new Float32Array(scale));
    gl.uniform3fv(at('uGridScale'), new Float32Array(gridScale));
    gl.activeTexture(gl.TEXTURE0 + 2 * MAX_DRAWN_LEVELS);
    gl.bindTexture(gl.TEXTURE_2D, this.#transfer);
    gl.uniform1i(at('uTransfer'), 2 * MAX_DRAWN_LEVELS);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.#buffer);
    const position = gl.getAttribLocation(this.#program, 'aPosition');
    gl.enableVertexAttribArray(position);
    gl.vertexAttribPointer(position, 2, gl.FLOAT, false, 0, 0);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  /** Releases every texture, the program and the buffer. */
  dispose(): void {
    this.#release();
    const gl = this.#gl;
    gl.deleteTexture(this.#transfer);
    gl.deleteTexture(this.#empty);
    gl.deleteBuffer(this.#buffer);
    gl.deleteProgram(this.#program);
  }

  #release(): void {
    for (const drawn of this.#levels) {
      this.#gl.deleteTexture(drawn.volume);
      this.#gl.deleteTexture(drawn.occupied);
    }
    this.#levels = [];
  }
}

function texture3d(gl: WebGL2RenderingContext, dims: Vec3, filter: number): WebGLTexture {
  const texture = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_3D, texture);
  gl.texImage3D(gl.TEXTURE_3D, 0, gl.R8, dims[0], dims[1], dims[2], 0, gl.RED, gl.UNSIGNED_BYTE, null);
  setFiltering(gl, gl.TEXTURE_3D, filter);
  return texture;
}

function setFiltering(gl: WebGL2RenderingContext, target: number, filter: number): void {
  gl.texParameteri(target, gl.TEXTURE_MIN_FILTER, filter);
  gl.texParameteri(target, gl.TEXTURE_MAG_FILTER, filter);
  for (const wrap of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T, gl.TEXTURE_WRAP_R]) gl.texParameteri(target, wrap, gl.CLAMP_TO_EDGE);
}

function program(gl: WebGL2RenderingContext): WebGLProgram {
  const made = gl.createProgram();
  for (const [type, source] of [[gl.VERTEX_SHADER, VERTEX], [gl.FRAGMENT_SHADER, FRAGMENT]] as const) {
    const shader = gl.createShader(type);
    if (shader === null) throw new StatemeshError('INTERNAL', '@statemesh/viewer: WebGL2 made no shader (context lost?); reload the page');
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (gl.getShaderParameter(shader, gl.COMPILE_STATUS) !== true) {
      throw new StatemeshError('INTERNAL', `@statemesh/viewer: the ray-marching shader does not compile here: ${gl.getShaderInfoLog(shader) ?? '?'}; report it with your browser's version`);
    }
    gl.attachShader(made, shader);
  }
  gl.linkProgram(made);
  if (gl.getProgramParameter(made, gl.LINK_STATUS) !== true) {
    throw new StatemeshError('INTERNAL', `@statemesh/viewer: the ray-marching shader does not link here: ${gl.getProgramInfoLog(made) ?? '?'}`);
  }
  return made;
}
