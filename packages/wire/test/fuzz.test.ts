import { isStatemeshError } from '@statemesh/contracts';
import { SeededRandom } from '@statemesh/contracts/testing';
import { FRAME_KIND_OF, IpcFrameDecoder, decodeEnvelope, decodeFrameBody, encodeEnvelope, encodeFrameBody, encodeIpcFrame } from '@statemesh/wire';
import type { Frame, UnknownFrame } from '@statemesh/wire';
import { describe, expect, it } from 'vitest';
import { sampleFrames } from './sample-frames.ts';

// Seeded, so that a failure reproduces: the seed and case number are in the assertion message.
const SEED = 0x5eed_2026;
const EXPECTED_CODES = new Set(['MALFORMED_FRAME', 'BAD_MAGIC', 'FRAME_TOO_LARGE']);

/** Draws in [0, 1) of the shared seeded generator. */
function draws(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

interface Tally {
  ok: number;
  refused: Record<string, number>;
}

/** Runs `decode`; a result must re-encode (decoded frames are valid frames), an error must be a StatemeshError. */
function attempt(tally: Tally, label: string, decode: () => Array<Frame | UnknownFrame>): void {
  let frames: Array<Frame | UnknownFrame>;
  try {
    frames = decode();
  } catch (error) {
    if (!isStatemeshError(error) || !EXPECTED_CODES.has(error.code)) {
      throw new Error(`fuzz ${label}: escaped ${isStatemeshError(error) ? error.code : String(error)}`, { cause: error });
    }
    tally.refused[error.code] = (tally.refused[error.code] ?? 0) + 1;
    return;
  }
  for (const frame of frames) if (frame.kind !== 'unknown') encodeFrameBody(frame);
  tally.ok++;
}

function mutate(random: () => number, input: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(input);
  const edits = 1 + Math.floor(random() * 4);
  let out: Uint8Array = bytes;
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * Math.max(1, out.length));
    switch (Math.floor(random() * 6)) {
      case 0: // flip a bit
        if (out.length > 0) out[at] = out[at]! ^ (1 << Math.floor(random() * 8));
        break;
      case 1: // a random byte
        if (out.length > 0) out[at] = Math.floor(random() * 256);
        break;
      case 2: // an interesting byte (varint continuation, max, zero)
        if (out.length > 0) out[at] = [0x00, 0x7f, 0x80, 0xff, 0x01][Math.floor(random() * 5)]!;
        break;
      case 3: // truncate
        out = out.subarray(0, at);
        break;
      case 4: { // insert random bytes
        const extra = Uint8Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256));
        out = new Uint8Array([...out.subarray(0, at), ...extra, ...out.subarray(at)]);
        break;
      }
      default: { // duplicate a slice
        const end = Math.min(out.length, at + 1 + Math.floor(random() * 16));
        out = new Uint8Array([...out.subarray(0, end), ...out.subarray(at, end), ...out.subarray(end)]);
      }
    }
  }
  return out;
}

function randomBytes(random: () => number, max: number): Uint8Array {
  return Uint8Array.from({ length: Math.floor(random() * max) }, () => Math.floor(random() * 256));
}

/** Feeds `stream` to a fresh decoder in random-sized reads. */
function decodeStream(random: () => number, stream: Uint8Array): Array<Frame | UnknownFrame> {
  const decoder = new IpcFrameDecoder({ maxFrameBytes: 4096 });
  const frames: Array<Frame | UnknownFrame> = [];
  for (let at = 0; at < stream.length; ) {
    const n = 1 + Math.floor(random() * 40);
    for (const { frame } of decoder.push(stream.subarray(at, at + n))) frames.push(frame);
    at += n;
  }
  return frames;
}

describe('fuzz: decoders only ever throw StatemeshError', () => {
  const bodies = sampleFrames.map((frame) => ({ kind: FRAME_KIND_OF[frame.kind], body: encodeFrameBody(frame) }));
  const envelopes = sampleFrames.map((frame) => encodeEnvelope(frame));
  const ipcFrames = sampleFrames.map((frame) => encodeIpcFrame(frame));

  it('random bytes: 40 000 cases', () => {
    const random = draws(SEED);
    const tally: Tally = { ok: 0, refused: {} };
    for (let i = 0; i < 20_000; i++) {
      const bytes = randomBytes(random, 64);
      const kind = 1 + Math.floor(random() * 9);
      attempt(tally, `random body #${i}`, () => [decodeFrameBody(kind, bytes)]);
      attempt(tally, `random envelope #${i}`, () => [decodeEnvelope(bytes)]);
    }
    expect(tally.ok + Object.values(tally.refused).reduce((a, b) => a + b, 0)).toBe(40_000);
    expect(tally.refused['MALFORMED_FRAME']).toBeGreaterThan(1000);
  });

  it('random bodies behind a valid IPC header: 20 000 cases', () => {
    const random = draws(SEED + 1);
    const tally: Tally = { ok: 0, refused: {} };
    for (let i = 0; i < 20_000; i++) {
      const body = randomBytes(random, 64);
      const kind = 1 + Math.floor(random() * 9);
      const stream = new Uint8Array(12 + body.length);
      const view = new DataView(stream.buffer);
      view.setUint32(0, 0x48534d53, true);
      view.setUint16(4, 1, true);
      view.setUint16(6, kind, true);
      view.setUint32(8, body.length, true);
      stream.set(body, 12);
      attempt(tally, `random IPC body #${i}`, () => decodeStream(random, stream));
    }
    expect(tally.refused['MALFORMED_FRAME']).toBeGreaterThan(1000);
  });

  it('mutated valid frames (bodies, envelopes, IPC streams in random reads): 45 000 cases', () => {
    const random = draws(SEED + 2);
    const tally: Tally = { ok: 0, refused: {} };
    for (let i = 0; i < 15_000; i++) {
      const pick = Math.floor(random() * sampleFrames.length);
      const { kind, body } = bodies[pick]!;
      const mutatedBody = mutate(random, body);
      attempt(tally, `mutated body #${i}`, () => [decodeFrameBody(kind, mutatedBody)]);
      const mutatedEnvelope = mutate(random, envelopes[pick]!);
      attempt(tally, `mutated envelope #${i}`, () => [decodeEnvelope(mutatedEnvelope)]);
      // Two frames in one stream, the first mutated: exercises headers, lengths and resynchronisation.
      const stream = new Uint8Array([...mutate(random, ipcFrames[pick]!), ...ipcFrames[(pick + 1) % ipcFrames.length]!]);
      attempt(tally, `mutated IPC stream #${i}`, () => decodeStream(random, stream));
    }
    // Both outcomes occur: the mutations reach past the first checks.
    expect(tally.ok).toBeGreaterThan(1000);
    expect(tally.refused['MALFORMED_FRAME']).toBeGreaterThan(1000);
    expect(tally.refused['BAD_MAGIC']).toBeGreaterThan(100);
    expect(tally.refused['FRAME_TOO_LARGE']).toBeGreaterThan(10);
  });
});
