import { StatemeshError, isDigest } from '@statemesh/contracts';
import { MAX_CDC_AVERAGE, MAX_CHUNK_BYTES, MIN_CDC_AVERAGE, MIN_FIXED_CHUNK_SIZE, maxRawChunkBytes } from './chunk-limits.js';

/** The four bytes every manifest starts with: ASCII `SMCM` (statemesh chunk manifest). */
export const MANIFEST_MAGIC = new Uint8Array([0x53, 0x4d, 0x43, 0x4d]);
/** The manifest layout version this package writes and reads. */
export const MANIFEST_VERSION = 1;

const FIXED_HEADER = 21; // magic 4, version 1, chunking 1, reserved 2, chunk size 4, total 8, codec length 1
const CHUNK_ENTRY = 41; // digest 32, stored size 4, raw size 4, flags 1
const CODEC_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const FLAG_COMPRESSED = 1;

/** One chunk as a manifest lists it. */
export interface ManifestChunk {
  /** SHA-256 of the bytes as stored (compressed or not). */
  readonly digest: string;
  /** Length of the stored bytes. */
  readonly storedSize: number;
  /** Length of the chunk once decoded. */
  readonly rawSize: number;
  /** True when the stored bytes are the manifest's codec's output; false when stored raw. */
  readonly compressed: boolean;
}

/** What a chunked blob's manifest says: how the value was cut, encoded and addressed. */
export interface ChunkManifest {
  /** `fixed`: every chunk but the last is `chunkSize` long; `cdc`: content-defined, `chunkSize` is the average. */
  readonly chunking: 'fixed' | 'cdc';
  readonly chunkSize: number;
  /** Length of the whole value once assembled and decoded. */
  readonly totalSize: number;
  /** Codec of the compressed chunks (`raw`, `rle`, `zstd`). */
  readonly codec: string;
  /** SHA-256 of the whole decoded value. */
  readonly contentDigest: string;
  readonly chunks: readonly ManifestChunk[];
}

/** The bytes of a manifest (layout in PROTOCOL.md). Throws `INVALID_ARGUMENT` on a manifest it would not read back. */
export function encodeManifest(manifest: ChunkManifest): Uint8Array {
  const codec = latin1Bytes(manifest.codec);
  if (!CODEC_ID.test(manifest.codec)) invalid(`codec id "${manifest.codec}" must be 1-32 characters [A-Za-z0-9_.-]`);
  if (!isDigest(manifest.contentDigest)) invalid('contentDigest must be 64 lowercase hex characters');
  const out = new Uint8Array(FIXED_HEADER + codec.length + 32 + 4 + manifest.chunks.length * CHUNK_ENTRY);
  const view = new DataView(out.buffer);
  out.set(MANIFEST_MAGIC, 0);
  out[4] = MANIFEST_VERSION;
  out[5] = manifest.chunking === 'cdc' ? 1 : 0;
  view.setUint32(8, manifest.chunkSize, true);
  view.setBigUint64(12, BigInt(manifest.totalSize), true);
  out[20] = codec.length;
  out.set(codec, FIXED_HEADER);
  let at = FIXED_HEADER + codec.length;
  out.set(digestBytes(manifest.contentDigest), at);
  view.setUint32(at + 32, manifest.chunks.length, true);
  at += 36;
  for (const chunk of manifest.chunks) {
    if (!isDigest(chunk.digest)) invalid('every chunk digest must be 64 lowercase hex characters');
    out.set(digestBytes(chunk.digest), at);
    view.setUint32(at + 32, chunk.storedSize, true);
    view.setUint32(at + 36, chunk.rawSize, true);
    out[at + 40] = chunk.compressed ? FLAG_COMPRESSED : 0;
    at += CHUNK_ENTRY;
  }
  return out;
}

/**
 * Reads a manifest, treating the bytes as hostile: every length is checked against the bytes that remain before
 * anything is allocated. Throws `BAD_MAGIC`, `VERSION_MISMATCH`, `TRUNCATED` or `CORRUPT_INPUT`.
 */
export function decodeManifest(bytes: Uint8Array): ChunkManifest {
  if (!(bytes instanceof Uint8Array)) invalid('decodeManifest takes a Uint8Array');
  if (bytes.length < 4 || MANIFEST_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new StatemeshError('BAD_MAGIC', '@statemesh/blob-store: these bytes are not a chunk manifest (no SMCM magic); check that the digest names a manifest, not a chunk');
  }
  if (bytes.length < FIXED_HEADER) truncated('header', FIXED_HEADER, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[4]!;
  if (version !== MANIFEST_VERSION) {
    throw new StatemeshError(
      'VERSION_MISMATCH',
      `@statemesh/blob-store: manifest version ${version} is not supported (this version reads ${MANIFEST_VERSION}); upgrade @statemesh/blob-store`,
      { details: { version, supported: MANIFEST_VERSION } },
    );
  }
  const mode = bytes[5]!;
  if (mode > 1) corrupt(`chunking mode ${mode} is unknown`);
  const chunking = mode === 1 ? 'cdc' : 'fixed';
  if (view.getUint16(6, true) !== 0) corrupt('reserved bytes 6-7 are not zero');
  const chunkSize = view.getUint32(8, true);
  const [low, high] = chunking === 'fixed' ? [MIN_FIXED_CHUNK_SIZE, MAX_CHUNK_BYTES] : [MIN_CDC_AVERAGE, MAX_CDC_AVERAGE];
  if (chunkSize < low || chunkSize > high) corrupt(`${chunking} chunk size ${chunkSize} is outside ${low}-${high}`);
  const total = view.getBigUint64(12, true);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`total size ${total} is beyond 2^53`);
  const totalSize = Number(total);
  const codecLength = bytes[20]!;
  const afterCodec = FIXED_HEADER + codecLength;
  if (bytes.length < afterCodec + 36) truncated('codec, content digest and chunk count', afterCodec + 36, bytes.length);
  const codec = String.fromCharCode(...bytes.subarray(FIXED_HEADER, FIXED_HEADER + codecLength));
  if (!CODEC_ID.test(codec)) corrupt('the codec id is not 1-32 characters [A-Za-z0-9_.-]');
  const contentDigest = hex(bytes, afterCodec);
  const count = view.getUint32(afterCodec + 32, true);
  const entries = afterCodec + 36;
  const remaining = bytes.length - entries;
  if (count > Math.floor(remaining / CHUNK_ENTRY)) truncated(`${count} chunk entries`, entries + count * CHUNK_ENTRY, bytes.length);
  if (remaining !== count * CHUNK_ENTRY) corrupt(`${remaining - count * CHUNK_ENTRY} bytes follow the last chunk entry`);
  if ((count === 0) !== (totalSize === 0)) corrupt(`${count} chunks cannot make ${totalSize} bytes`);
  const maxRaw = maxRawChunkBytes(chunking, chunkSize);
  const chunks: ManifestChunk[] = [];
  let sum = 0;
  for (let i = 0, at = entries; i < count; i++, at += CHUNK_ENTRY) {
    const storedSize = view.getUint32(at + 32, true);
    const rawSize = view.getUint32(at + 36, true);
    const flags = bytes[at + 40]!;
    if (flags > FLAG_COMPRESSED) corrupt(`chunk ${i} has unknown flags ${flags}`);
    const compressed = flags === FLAG_COMPRESSED;
    if (rawSize === 0 || rawSize > maxRaw) corrupt(`chunk ${i} has raw size ${rawSize}, outside 1-${maxRaw}`);
    if (chunking === 'fixed' && i < count - 1 && rawSize !== chunkSize) corrupt(`fixed chunk ${i} has ${rawSize} bytes, not ${chunkSize}`);
    if (compressed ? storedSize === 0 || storedSize >= rawSize : storedSize !== rawSize) {
      corrupt(`chunk ${i} stores ${storedSize} bytes for ${rawSize} (${compressed ? 'compressed chunks shrink' : 'raw chunks store their size'})`);
    }
    sum += rawSize;
    chunks.push({ digest: hex(bytes, at), storedSize, rawSize, compressed });
  }
  if (sum !== totalSize) corrupt(`the chunks add up to ${sum} bytes, not the total of ${totalSize}`);
  return { chunking, chunkSize, totalSize, codec, contentDigest, chunks };
}

// Without Node's Buffer, which browsers lack: the manifest is read and written in both.
const HEX_DIGITS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** The 32 bytes at `at` as 64 lowercase hex characters. */
function hex(bytes: Uint8Array, at: number): string {
  let text = '';
  for (let i = at; i < at + 32; i++) text += HEX_DIGITS[bytes[i]!]!;
  return text;
}

/** The 32 bytes of a digest already checked by `isDigest`. */
function digestBytes(digest: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(digest.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** One byte per character (the low 8 bits, as Buffer's `latin1`). */
function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function invalid(message: string): never {
  throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/blob-store: ${message}`);
}

function corrupt(message: string): never {
  throw new StatemeshError('CORRUPT_INPUT', `@statemesh/blob-store: corrupt chunk manifest: ${message}; the manifest was damaged or forged, fetch it again from another peer`);
}

function truncated(what: string, needed: number, have: number): never {
  throw new StatemeshError('TRUNCATED', `@statemesh/blob-store: chunk manifest is truncated: ${what} need ${needed} bytes, have ${have}; fetch it again`, {
    details: { needed, have },
  });
}
