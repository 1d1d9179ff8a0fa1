import type { Conflict } from '@statemesh/shard';
import type { SessionReadings } from './session-status.js';

/** The numbers a session publishes under `__system.distributed.<cluster>` and returns from `metrics()`. */
export interface SessionMetrics {
  readonly remote: { readonly applied: number; readonly duplicates: number; readonly stale: number; readonly rejected: number };
  readonly conflicts: {
    readonly detected: number;
    readonly lost: number;
    /** The 32 most recent conflicts, most recent first. */
    readonly recent: readonly Conflict[];
  };
  readonly transport: {
    readonly published: number;
    readonly delivered: number;
    readonly peers: number;
    readonly badFrames: number;
    readonly authFailures: number;
    /** Links dropped because their peer did not keep up with what this node sent. */
    readonly slowPeerDisconnects: number;
  };
  /** `interrupted`: catch-ups cut off because the peer left (asked for again when it is back; not logged). */
  readonly catchUps: { readonly completed: number; readonly failed: number; readonly interrupted: number };
  /** `failed`: values whose fetch failed for a lasting reason (each logged once); `retried`: passing failures retried quietly. */
  readonly hydrations: { readonly completed: number; readonly failed: number; readonly retried: number; readonly pending: number };
  readonly pumpCycles: number;
  readonly localSequence: number;
  readonly entries: number;
  readonly tombstones: number;
}

/** How many recent conflicts go into the tree. */
export const RECENT_CONFLICTS_IN_TREE = 32;

/**
 * Flattens metrics into `[path, value]` pairs under `root` (`__system.distributed.<cluster>`), as the tree holds
 * them: counters as numbers, each recent conflict as `conflicts.recent.<i>.{path,winner_node,...}`.
 */
export function metricsToPaths(root: string, metrics: SessionMetrics): Array<[string, number | string]> {
  const out: Array<[string, number | string]> = [];
  const put = (path: string, value: number | string) => out.push([`${root}.${path}`, value]);
  put('remote.applied', metrics.remote.applied);
  put('remote.duplicates', metrics.remote.duplicates);
  put('remote.stale', metrics.remote.stale);
  put('remote.rejected', metrics.remote.rejected);
  put('conflicts.detected', metrics.conflicts.detected);
  put('conflicts.lost', metrics.conflicts.lost);
  put('transport.published', metrics.transport.published);
  put('transport.delivered', metrics.transport.delivered);
  put('transport.peers', metrics.transport.peers);
  put('transport.bad_frames', metrics.transport.badFrames);
  put('transport.auth_failures', metrics.transport.authFailures);
  put('transport.slow_peer_disconnects', metrics.transport.slowPeerDisconnects);
  put('catch_up.completed', metrics.catchUps.completed);
  put('catch_up.failed', metrics.catchUps.failed);
  put('catch_up.interrupted', metrics.catchUps.interrupted);
  put('hydration.completed', metrics.hydrations.completed);
  put('hydration.failed', metrics.hydrations.failed);
  put('hydration.retried', metrics.hydrations.retried);
  put('hydration.pending', metrics.hydrations.pending);
  put('pump.cycles', metrics.pumpCycles);
  put('local.sequence', metrics.localSequence);
  put('local.entries', metrics.entries);
  put('local.tombstones', metrics.tombstones);
  metrics.conflicts.recent.slice(0, RECENT_CONFLICTS_IN_TREE).forEach((conflict, i) => {
    put(`conflicts.recent.${i}.path`, conflict.path);
    put(`conflicts.recent.${i}.winner_node`, conflict.winner.origin);
    put(`conflicts.recent.${i}.winner_seq`, conflict.winner.seq);
    put(`conflicts.recent.${i}.loser_node`, conflict.loser.origin);
    put(`conflicts.recent.${i}.loser_seq`, conflict.loser.seq);
  });
  return out;
}

/** The metrics of a session now, read from its parts. */
export function metricsOf(r: SessionReadings): SessionMetrics {
  const counters = r.shard.counters();
  const transport = r.transport.stats();
  return {
    remote: {
      applied: counters['remote.applied'] ?? 0,
      duplicates: counters['remote.duplicates'] ?? 0,
      stale: counters['remote.stale'] ?? 0,
      rejected: counters['remote.rejected'] ?? 0,
    },
    conflicts: {
      detected: counters['conflicts.detected'] ?? 0,
      lost: counters['conflicts.lost'] ?? 0,
      recent: r.shard.recentConflicts(32),
    },
    transport: {
      published: transport.published,
      delivered: transport.delivered,
      peers: r.catchUps.peers.size,
      badFrames: transport.badFrames,
      authFailures: transport.authFailures,
      slowPeerDisconnects: transport.slowPeerDisconnects,
    },
    catchUps: r.catchUps.counters(),
    hydrations: r.hydrations.counters(),
    pumpCycles: r.pump.cycles,
    localSequence: r.shard.localSeq,
    entries: counters['entries'] ?? 0,
    tombstones: counters['tombstones'] ?? 0,
  };
}
