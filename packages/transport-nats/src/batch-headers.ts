import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { Addressees } from './batch-outbox.js';

/** Headers of a live batch meant for some nodes only (the log keeps it for everyone). */
const TO_HEADER = 'Statemesh-To';
const EXCEPT_HEADER = 'Statemesh-Except';
/**
 * The name of each batch message, unique for its sender (`<random part>.<counter>`): a node following the log
 * knows by it which of the log's messages it has already handled live (log-follower.ts).
 */
const MESSAGE_HEADER = 'Statemesh-Msg';

/** The headers of one batch message: its name, and who it is for when not for everyone. */
export function batchHeaders(addressees: Addressees, name: string): MsgHdrs {
  const h = headers();
  h.set(MESSAGE_HEADER, name);
  if (addressees.kind === 'to') h.set(TO_HEADER, addressees.nodes.join(' '));
  else if (addressees.kind === 'except') h.set(EXCEPT_HEADER, addressees.node);
  return h;
}

/** Whether a batch message is for `nodeId`: no addressing headers, named in `To`, or not the one in `Except`. */
export function addressedTo(h: MsgHdrs | undefined, nodeId: string): boolean {
  const to = h?.get(TO_HEADER) ?? '';
  if (to !== '' && !to.split(' ').includes(nodeId)) return false;
  return h?.get(EXCEPT_HEADER) !== nodeId;
}

/** The message's name (its `Statemesh-Msg` header); undefined when it has none. */
export function messageName(h: MsgHdrs | undefined): string | undefined {
  const name = h?.get(MESSAGE_HEADER) ?? '';
  return name === '' ? undefined : name;
}
