import type { SessionMetrics, SessionStatus } from '@statemesh/session';
import type { StreamStats } from './node-server.js';

/** Prometheus text exposition (version 0.0.4) content type. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: ReadonlyArray<{ readonly labels?: Readonly<Record<string, string>>; readonly value: number }>;
}

/**
 * A node's status and metrics in the Prometheus text format: counters end in `_total`, every sample carries the
 * labels `node` and `cluster`, per-peer gauges add `peer`. With `streams`, the event-stream clients too.
 */
export function formatPrometheus(status: SessionStatus, metrics: SessionMetrics, streams?: StreamStats): string {
  const counter = (name: string, help: string, value: number): Family => ({ name: `statemesh_${name}_total`, type: 'counter', help, samples: [{ value }] });
  const gauge = (name: string, help: string, value: number): Family => ({ name: `statemesh_${name}`, type: 'gauge', help, samples: [{ value }] });
  type Peer = SessionStatus['peers'][number];
  const perPeer = (name: string, help: string, value: (peer: Peer) => number, known: (peer: Peer) => boolean = () => true): Family => ({
    name: `statemesh_${name}`,
    type: 'gauge',
    help,
    samples: status.peers.filter(known).map((peer) => ({ labels: { peer: peer.node }, value: value(peer) })),
  });
  const families: Family[] = [
    gauge('up', 'Whether the session is running (1) or closed (0).', status.running ? 1 : 0),
    counter('remote_applied', 'Remote writes applied to this replica.', metrics.remote.applied),
    counter('remote_duplicates', 'Remote writes dropped as duplicates.', metrics.remote.duplicates),
    counter('remote_stale', 'Remote writes that lost to a newer version already held.', metrics.remote.stale),
    counter('remote_rejected', 'Remote writes rejected (partition, interests, bad input).', metrics.remote.rejected),
    counter('conflicts_detected', 'Concurrent writes detected on this replica.', metrics.conflicts.detected),
    counter('conflicts_lost', 'Writes of this node that lost a conflict.', metrics.conflicts.lost),
    counter('transport_published', 'Mutations published to peers.', metrics.transport.published),
    counter('transport_delivered', 'Mutations delivered from peers.', metrics.transport.delivered),
    counter('transport_bad_frames', 'Malformed frames received (the connection was closed).', metrics.transport.badFrames),
    counter('transport_auth_failures', 'Peers refused for a bad token or certificate.', metrics.transport.authFailures),
    counter('catch_ups_completed', 'Catch-ups from peers completed.', metrics.catchUps.completed),
    counter('catch_ups_failed', 'Catch-ups from peers that failed (retried on reconnect).', metrics.catchUps.failed),
    counter('hydrations_completed', 'Large values fetched from peers and installed.', metrics.hydrations.completed),
    counter('hydrations_failed', 'Large values whose fetch failed.', metrics.hydrations.failed),
    counter('pump_cycles', 'Pump cycles run.', metrics.pumpCycles),
    gauge('hydrations_pending', 'Large values being fetched now.', metrics.hydrations.pending),
    gauge('peers', 'Peers connected now.', metrics.transport.peers),
    gauge('local_sequence', 'Sequence number of the latest local write.', metrics.localSequence),
    gauge('entries', 'Values held by this replica.', metrics.entries),
    gauge('tombstones', 'Tombstones held by this replica.', metrics.tombstones),
    perPeer('peer_up', 'Whether a known peer is up (1) or not (0).', (peer) => (peer.state === 'up' ? 1 : 0)),
    perPeer('peer_last_seen_seconds', 'Seconds since anything was heard from the peer.', (peer) => peer.lastSeenMs / 1000),
    perPeer('peer_lag_writes', 'Local writes the peer is not known to have.', (peer) => peer.lagSeq),
    perPeer('peer_clock_skew_seconds', "The peer's wall clock minus this node's, from its heartbeats (absent before enough of them).", (peer) => (peer.clockSkewMs ?? NaN) / 1000, (peer) => peer.clockSkewMs !== undefined),
    ...(streams === undefined
      ? []
      : [
          gauge('stream_clients', 'Event-stream clients (/events, /v1/watch) connected now.', streams.open),
          gauge('stream_queued_bytes', 'Bytes written to event-stream clients that they have not taken yet.', streams.queuedBytes),
          counter('stream_clients_dropped', 'Event-stream clients dropped for falling more than the bound behind.', streams.dropped),
        ]),
  ];
  const base = { node: status.nodeId, cluster: status.clusterId };
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(`${family.name}${labels({ ...base, ...sample.labels })} ${number(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function labels(values: Record<string, string>): string {
  const pairs = Object.entries(values).map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return `{${pairs.join(',')}}`;
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
