import { type Vec3, type VolumeInfo, type VoxelType, VOXEL_TYPES } from './brick.js';
import { BrickManifestError } from './error.js';
import { type ManifestData, MAX_COORDINATE } from './manifest-data.js';

// Byte layout: see PROTOCOL.md. Little-endian throughout.
const MAGIC = [0x53, 0x4d, 0x42, 0x4d] as const; // "SMBM"
const VERSION = 1;
const HEADER_BYTES = 16;
const VOLUME_BYTES = 28;
const FLAG_VOLUME = 1;
const BRICK_BYTES = 45; // fixed part of a brick record, extras byte included
const EXTRA_DIGEST = 1;
const EXTRA_STORED_BYTES = 2;
const DIGEST_BYTES = 32;
const VOXEL_CODES: readonly VoxelType[] = ['u8', 'i8', 'u16', 'i16', 'f16', 'u32', 'i32', 'f32', 'f64']; // code = index + 1

/** Writes `data` in the manifest format of PROTOCOL.md. */
export function encodeManifest(data: ManifestData): Uint8Array {
  const count = data.variableIndex.length;
  let size = HEADER_BYTES + (data.volume === undefined ? 0 : VOLUME_BYTES) + count * BRICK_BYTES;
  for (let i = 0; i < count; i++) {
    if (data.digests?.[i] !== undefined) size += DIGEST_BYTES;
    if (data.storedBytes !== undefined && !Number.isNaN(data.storedBytes[i]!)) size += 8;
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, data.volume === undefined ? 0 : FLAG_VOLUME, true);
  view.setUint32(8, count, true);
  let at = HEADER_BYTES;
  if (data.volume !== undefined) {
    const { dims, brickDim, voxelType } = data.volume;
    for (let axis = 0; axis < 3; axis++) view.setUint32(at + 4 * axis, dims[axis]!, true);
    for (let axis = 0; axis < 3; axis++) view.setUint32(at + 12 + 4 * axis, brickDim[axis]!, true);
    bytes[at + 24] = VOXEL_CODES.indexOf(voxelType) + 1;
    at += VOLUME_BYTES;
  }
  const { boxMin, boxMax } = data;
  for (let i = 0; i < count; i++) {
    for (let axis = 0; axis < 3; axis++) {
      view.setUint32(at + 4 * axis, boxMin[3 * i + axis]!, true);
      view.setUint32(at + 12 + 4 * axis, boxMax[3 * i + axis]! - boxMin[3 * i + axis]!, true);
    }
    view.setUint32(at + 24, data.variableIndex[i]!, true);
    setU53(view, at + 28, data.elementBegin[i]!);
    setU53(view, at + 36, data.elementEnd[i]!);
    const digest = data.digests?.[i];
    const stored = data.storedBytes?.[i];
    const hasStored = stored !== undefined && !Number.isNaN(stored);
    bytes[at + 44] = (digest === undefined ? 0 : EXTRA_DIGEST) | (hasStored ? EXTRA_STORED_BYTES : 0);
    at += BRICK_BYTES;
    if (digest !== undefined) {
      for (let b = 0; b < DIGEST_BYTES; b++) bytes[at + b] = Number.parseInt(digest.slice(2 * b, 2 * b + 2), 16);
      at += DIGEST_BYTES;
    }
    if (hasStored) {
      setU53(view, at, stored);
      at += 8;
    }
  }
  return bytes;
}

/**
 * Reads the manifest format of PROTOCOL.md. Every read is bounds-checked, and the brick count is checked against
 * the bytes left before anything is allocated for it: a short or lying input costs nothing.
 */
export function decodeManifest(bytes: Uint8Array): ManifestData {
  if (!(bytes instanceof Uint8Array)) {
    throw new BrickManifestError('INVALID_ARGUMENT', 'BrickManifest.decode needs a Uint8Array');
  }
  if (bytes.length < HEADER_BYTES) {
    throw new BrickManifestError('TRUNCATED', `a manifest has at least ${HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  if (MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new BrickManifestError('BAD_MAGIC', 'these bytes are not a brick manifest (magic "SMBM" missing)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== VERSION) {
    throw new BrickManifestError(
      'VERSION_MISMATCH',
      `manifest version ${version} is not supported (this reader knows version ${VERSION}); upgrade @statemesh/brick-manifest`,
      { version },
    );
  }
  const flags = view.getUint16(6, true);
  if ((flags & ~FLAG_VOLUME) !== 0) corrupt(`unknown header flags 0x${flags.toString(16)}`);
  const count = view.getUint32(8, true);
  if (view.getUint32(12, true) !== 0) corrupt('reserved header bytes are not zero');
  let at = HEADER_BYTES;
  let volume: VolumeInfo | undefined;
  if ((flags & FLAG_VOLUME) !== 0) {
    need(bytes, at, VOLUME_BYTES, 'the volume header');
    const dims = readVec3(view, at, 'volume dims');
    const brickDim = readVec3(view, at + 12, 'volume brickDim');
    const voxelType = VOXEL_CODES[bytes[at + 24]! - 1];
    if (voxelType === undefined) corrupt(`unknown voxel type code ${bytes[at + 24]}`);
    if (bytes[at + 25] !== 0 || bytes[at + 26] !== 0 || bytes[at + 27] !== 0) corrupt('reserved volume bytes are not zero');
    if (!Object.hasOwn(VOXEL_TYPES, voxelType)) corrupt(`unknown voxel type ${voxelType}`);
    volume = { dims, brickDim, voxelType };
    at += VOLUME_BYTES;
  }
  // The count must fit the bytes that are left before a single array is sized by it.
  if (count * BRICK_BYTES > bytes.length - at) {
    throw new BrickManifestError(
      'TRUNCATED',
      `the manifest claims ${count} bricks (at least ${count * BRICK_BYTES} bytes) but only ${bytes.length - at} bytes follow`,
      { count },
    );
  }
  const boxMin = new Uint32Array(3 * count);
  const boxMax = new Uint32Array(3 * count);
  const variableIndex = new Uint32Array(count);
  const elementBegin = new Float64Array(count);
  const elementEnd = new Float64Array(count);
  let digests: Array<string | undefined> | undefined;
  let storedBytes: Float64Array | undefined;
  for (let i = 0; i < count; i++) {
    need(bytes, at, BRICK_BYTES, `brick ${i}`);
    for (let axis = 0; axis < 3; axis++) {
      const origin = view.getUint32(at + 4 * axis, true);
      const size = view.getUint32(at + 12 + 4 * axis, true);
      if (size === 0) corrupt(`brick ${i} has size 0`);
      if (origin + size > MAX_COORDINATE) corrupt(`brick ${i} reaches past 2^32 − 1`);
      boxMin[3 * i + axis] = origin;
      boxMax[3 * i + axis] = origin + size;
    }
    variableIndex[i] = view.getUint32(at + 24, true);
    const begin = getU53(view, at + 28, `brick ${i} elementBegin`);
    const end = getU53(view, at + 36, `brick ${i} elementEnd`);
    if (end < begin) corrupt(`brick ${i} ends (${end}) before it begins (${begin})`);
    elementBegin[i] = begin;
    elementEnd[i] = end;
    const extras = bytes[at + 44]!;
    if ((extras & ~(EXTRA_DIGEST | EXTRA_STORED_BYTES)) !== 0) corrupt(`brick ${i} has unknown extras 0x${extras.toString(16)}`);
    at += BRICK_BYTES;
    if ((extras & EXTRA_DIGEST) !== 0) {
      need(bytes, at, DIGEST_BYTES, `the digest of brick ${i}`);
      let hex = '';
      for (let b = 0; b < DIGEST_BYTES; b++) hex += bytes[at + b]!.toString(16).padStart(2, '0');
      digests ??= Array.from<string | undefined>({ length: count });
      digests[i] = hex;
      at += DIGEST_BYTES;
    }
    if ((extras & EXTRA_STORED_BYTES) !== 0) {
      need(bytes, at, 8, `the stored size of brick ${i}`);
      storedBytes ??= new Float64Array(count).fill(Number.NaN);
      storedBytes[i] = getU53(view, at, `brick ${i} storedBytes`);
      at += 8;
    }
  }
  if (at !== bytes.length) corrupt(`${bytes.length - at} unexpected bytes after the last brick`);
  return { volume, boxMin, boxMax, variableIndex, elementBegin, elementEnd, digests, storedBytes };
}

function corrupt(message: string): never {
  throw new BrickManifestError('CORRUPT_INPUT', `corrupt manifest: ${message}`);
}

function need(bytes: Uint8Array, at: number, length: number, what: string): void {
  if (at + length > bytes.length) {
    throw new BrickManifestError('TRUNCATED', `the manifest ends inside ${what} (byte ${at} of ${bytes.length})`);
  }
}

function readVec3(view: DataView, at: number, what: string): Vec3 {
  const v: Vec3 = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true)];
  if (v.includes(0)) corrupt(`${what} has a zero`);
  return v;
}

function setU53(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 2 ** 32, true);
  view.setUint32(at + 4, Math.floor(value / 2 ** 32), true);
}

function getU53(view: DataView, at: number, what: string): number {
  const high = view.getUint32(at + 4, true);
  if (high > 0x1fffff) corrupt(`${what} is above 2^53 − 1`);
  return high * 2 ** 32 + view.getUint32(at, true);
}
