import { StatemeshError, type TransportStats } from '@statemesh/contracts';
import { decodeEnvelope, type Frame, type UnknownFrame } from '@statemesh/wire';
import type { ErrorLog } from './error-log.js';
import { PACKAGE } from './options.js';

/**
 * The frames one node sends and receives on the medium, decoded and counted: the transport's stats. A message
 * that does not decode (or a frame where none belongs) is counted and said once per sender, never thrown.
 */
export class FrameCounter {
  readonly stats: { -readonly [K in keyof TransportStats]: number } = {
    published: 0,
    delivered: 0,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    badFrames: 0,
    unknownFrames: 0,
    authFailures: 0,
    slowPeerDisconnects: 0,
  };
  readonly #log: ErrorLog;

  constructor(log: ErrorLog) {
    this.#log = log;
  }

  sent(payload: Uint8Array): void {
    this.stats.framesSent++;
    this.stats.bytesSent += payload.length;
  }

  /** Counts a received message and decodes it; undefined for bytes that do not decode and for unknown kinds. */
  received(data: Uint8Array, from: string): Frame | undefined {
    this.stats.framesReceived++;
    this.stats.bytesReceived += data.length;
    let frame: Frame | UnknownFrame;
    try {
      frame = decodeEnvelope(data);
    } catch (error) {
      this.bad(from, `sent bytes that do not decode: ${(error as Error).message}`);
      return undefined;
    }
    if (frame.kind === 'unknown') {
      this.stats.unknownFrames++;
      return undefined;
    }
    return frame;
  }

  bad(from: string, what: string): void {
    this.stats.badFrames++;
    this.#log.once(`bad:${from}`, new StatemeshError('MALFORMED_FRAME', `${PACKAGE}: ${from} ${what}; dropped (said once per sender)`));
  }
}
