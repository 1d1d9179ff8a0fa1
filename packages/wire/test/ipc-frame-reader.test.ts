import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { IPC_HEADER_BYTES, IpcFrameReader, encodeIpcFrame, encodeIpcHeader } from '@statemesh/wire';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isStatemeshError(error) ? error.code : String(error);
  }
  return 'nothing thrown';
}

describe('IpcFrameReader', () => {
  it('splits a stream into frames, bodies left encoded, whatever the read sizes', () => {
    const a = encodeIpcFrame({ kind: 'goodbye', reason: 'one' }, { version: 3 });
    const b = encodeIpcFrame({ kind: 'heartbeat', node: 'n', sentAtMs: 5 });
    const stream = new Uint8Array([...a, ...b]);
    for (const step of [1, 5, 13, stream.length]) {
      const reader = new IpcFrameReader();
      const frames = [];
      for (let i = 0; i < stream.length; i += step) frames.push(...reader.push(stream.subarray(i, i + step)));
      expect(frames.map((f) => [f.kind, f.version, Array.from(f.body)])).toEqual([
        [8, 3, Array.from(a.subarray(IPC_HEADER_BYTES))],
        [7, 1, Array.from(b.subarray(IPC_HEADER_BYTES))],
      ]);
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  it('refuses a frame over maxFrameBytes from its header alone, and the limit can be raised between reads', () => {
    const reader = new IpcFrameReader({ maxFrameBytes: 100 });
    expect(codeOf(() => reader.push(encodeIpcHeader(2, 1, 101)))).toBe('FRAME_TOO_LARGE');
    expect(reader.bufferedBytes).toBe(0);
    expect(codeOf(() => reader.push(new Uint8Array(1)))).toBe('FRAME_TOO_LARGE'); // poisoned
    const raised = new IpcFrameReader({ maxFrameBytes: 100 });
    raised.maxFrameBytes = 200;
    expect(raised.push(new Uint8Array([...encodeIpcHeader(2, 1, 150), ...new Uint8Array(150)]))[0]?.body.length).toBe(150);
  });

  it('refuses a wrong magic on its first bytes, and version 0', () => {
    expect(codeOf(() => new IpcFrameReader().push(new Uint8Array([0x47, 0x45])))).toBe('BAD_MAGIC');
    expect(codeOf(() => new IpcFrameReader().push(encodeIpcHeader(2, 0, 0)))).toBe('MALFORMED_FRAME');
  });
});
