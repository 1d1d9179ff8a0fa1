import type { TransportHost } from '@statemesh/contracts';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { ErrorLog } from './error-log.js';
import type { FrameCounter } from './frame-counter.js';
import type { Subjects } from './subjects.js';

/** What every path of the NATS transport (presence, batches) shares of it: who it is, and how it speaks. */
export interface MediumContext {
  readonly nodeId: string;
  readonly subjects: Subjects;
  /** Decodes and counts what arrives; says a bad message once per sender. */
  readonly frames: FrameCounter;
  readonly log: ErrorLog;
  host(): TransportHost;
  /** Publishes one message (counted; dropped once the connection closes or drains). */
  publish(subject: string, payload: Uint8Array, h?: MsgHdrs): void;
}
