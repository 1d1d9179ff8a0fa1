import { StatemeshError } from '@statemesh/contracts';
import { emptyStats, type Stats } from '@statemesh/protocol';
import { decodeEnvelope, type Frame, type UnknownFrame } from '@statemesh/wire';
import type { ErrorLog } from './error-log.js';
import { PACKAGE } from './options.js';

/**
 * The frames one node sends and receives on the medium, decoded and counted: the transport's stats. A message
 * that does not decode (or a frame where none belongs) is counted and said once per sender, never thrown.
 */
export class FrameCounter {
  readonly stats: Stats = emptyStats();
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
