// Frames whose body is already encoded, as links send them: one IPC frame per message (WebSocket, in-process) and
// one Envelope per gRPC message. Read back by the shipped readers, and by the Envelope decoder of whole frames.
import { describe, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { IpcFrameReader, decodeEnvelope, decodeRawEnvelope, encodeFrameBody, encodeRawEnvelope, encodeRawIpcFrame } from '@statemesh/wire';

const body = new Uint8Array(encodeFrameBody({ kind: 'goodbye', reason: 'done' }));
const plain = (frame: { kind: number; version: number; body: Uint8Array }) => ({ ...frame, body: [...frame.body] });

describe('raw frame bytes', () => {
  it('an IPC frame of an encoded body reads back as that frame', () => {
    const bytes = encodeRawIpcFrame({ kind: 8, version: 3, body });
    expect(new IpcFrameReader().push(bytes).map(plain)).toEqual([plain({ kind: 8, version: 3, body })]);
  });

  it('an Envelope of an encoded body is the Envelope of that frame, and reads back with the version given', () => {
    const bytes = encodeRawEnvelope({ kind: 8, version: 1, body });
    expect(decodeEnvelope(bytes)).toEqual({ kind: 'goodbye', reason: 'done' });
    expect(plain(decodeRawEnvelope(bytes, 2))).toEqual(plain({ kind: 8, version: 2, body }));
    const large = { kind: 300, version: 1, body: new Uint8Array(70_000).fill(7) };
    expect(plain(decodeRawEnvelope(encodeRawEnvelope(large), 1))).toEqual(plain(large));
  });

  it('refuses with MALFORMED_FRAME what is not exactly one length-delimited field', () => {
    const one = encodeRawEnvelope({ kind: 8, version: 1, body });
    for (const bytes of [new Uint8Array(0), new Uint8Array([8 * 8]), one.subarray(0, one.byteLength - 1), new Uint8Array([...one, ...one]), new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80])]) {
      let thrown: unknown;
      try {
        decodeRawEnvelope(bytes, 1);
      } catch (error) {
        thrown = error;
      }
      expect(isStatemeshError(thrown, 'MALFORMED_FRAME')).toBe(true);
    }
  });
});
