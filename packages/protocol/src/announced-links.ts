import { MAX_HEARTBEAT_LINKS, type HeartbeatFrame } from '@statemesh/wire';
import type { Conversation } from './conversation.js';

/** What a peer announced of its own links in its latest heartbeat (PROTOCOL.md, Heartbeat). */
export interface AnnouncedLinks {
  /** Its up peers by id, at most {@link MAX_HEARTBEAT_LINKS}. */
  readonly links: readonly string[];
  /** How many up peers it has, when more than `links` lists. */
  readonly linkCount: number | undefined;
}

/** Our up peers by id (not suspect): what every heartbeat announces, with its receiver added. */
export function upPeers(active: ReadonlyMap<string, Conversation>): string[] {
  const up: string[] = [];
  for (const [peer, conversation] of active) if (conversation.liveness?.state === 'up') up.push(peer);
  return up.sort();
}

/** The `links` and `link_count` of a heartbeat to `receiver`: our up peers and the receiver, the first 64 by id. */
export function linksFor(up: readonly string[], receiver: string | undefined): Pick<HeartbeatFrame, 'links' | 'linkCount'> {
  const all = receiver === undefined || up.includes(receiver) ? up : [...up, receiver].sort();
  if (all.length === 0) return {};
  if (all.length <= MAX_HEARTBEAT_LINKS) return { links: [...all] };
  return { links: all.slice(0, MAX_HEARTBEAT_LINKS), linkCount: all.length };
}

/** A peer's heartbeat replaces what it announced before: a heartbeat without links clears it. */
export function announcedBy(frame: HeartbeatFrame): AnnouncedLinks | undefined {
  return frame.links === undefined ? undefined : { links: frame.links, linkCount: frame.linkCount };
}
