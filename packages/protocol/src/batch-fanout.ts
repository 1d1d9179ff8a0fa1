import type { LinkFrame, Mutation } from '@statemesh/contracts';
import { FRAME_KIND } from '@statemesh/wire';
import type { Conversation } from './conversation.js';
import { mutationBodies } from './frame-splitter.js';

/** What a {@link fanOut} needs: the engine's frame limit, and what to do with a peer past its high-water mark. */
export interface FanOutContext {
  readonly maxFrameBytes: number;
  readonly highWaterMarkBytes: number;
  dropSlowPeer(conversation: Conversation): void;
}

/**
 * Queues `batch` on each conversation, split to fit that link's frame limit (the smaller of the engine's and the
 * link's: a node bridging IPC and gRPC keeps large frames on IPC and stays under 4 MiB on gRPC). The body a batch
 * was received in is forwarded as it came where it fits and the versions match. Encodes once per distinct limit.
 * A peer whose backlog passes the high-water mark is dropped. Returns the conversations it was queued to.
 */
export function fanOut(batch: readonly Mutation[], targets: Iterable<Conversation>, received: LinkFrame | undefined, context: FanOutContext): number {
  const bodies = new Map<number, Uint8Array[]>();
  let count = 0;
  for (const conversation of targets) {
    const limit = Math.min(context.maxFrameBytes, conversation.link.maxFrameBytes);
    if (received !== undefined && received.version === conversation.version && received.body.byteLength <= limit) {
      conversation.sendRaw(FRAME_KIND.mutations, conversation.version, received.body);
    } else {
      let split = bodies.get(limit);
      if (split === undefined) bodies.set(limit, (split = mutationBodies(batch, limit)));
      for (const body of split) conversation.sendRaw(FRAME_KIND.mutations, conversation.version, body);
    }
    if (conversation.bufferedBytes > context.highWaterMarkBytes) {
      context.dropSlowPeer(conversation);
      continue;
    }
    count++;
  }
  return count;
}
