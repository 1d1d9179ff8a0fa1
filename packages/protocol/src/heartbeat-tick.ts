import type { PeerEvent, Timers } from '@statemesh/contracts';
import { linksFor, upPeers } from './announced-links.js';
import type { Conversation } from './conversation.js';
import { DEAD_AFTER_INTERVALS } from './liveness.js';

/**
 * One heartbeat tick over every link past its Hello: sends a heartbeat (with our wall clock, for the skew
 * estimate, and our up peers, the links `active` holds), then applies liveness: an active link's peer turns `suspect` or back `up`, and a link silent for
 * {@link DEAD_AFTER_INTERVALS} intervals is cut (its peer goes down with it when it was the active one).
 */
export function heartbeatTick(
  conversations: Iterable<Conversation>,
  active: ReadonlyMap<string, Conversation>,
  self: { readonly nodeId: string; readonly timers: Timers },
  emit: (event: PeerEvent) => void,
): void {
  const now = self.timers.now();
  const sentAtMs = Math.max(0, Math.round(self.timers.wallNow?.() ?? Date.now()));
  const up = upPeers(active);
  for (const conversation of conversations) {
    if (conversation.state !== 'active' && conversation.state !== 'standby') continue;
    conversation.send({ kind: 'heartbeat', node: self.nodeId, sentAtMs, ...linksFor(up, conversation.peer) });
    const change = conversation.liveness!.check(now);
    if (change === 'dead') {
      conversation.destroy(`silent for ${DEAD_AFTER_INTERVALS} heartbeat intervals`, 'PEER_UNAVAILABLE');
      continue;
    }
    if (conversation.state !== 'active') continue;
    const peer = conversation.peer!;
    if (change === 'suspect') emit({ type: 'suspect', peer });
    else if (change === 'recovered') emit({ type: 'up', peer, hello: conversation.hello! });
  }
}
