/**
 * The NATS subjects of one cluster (PROTOCOL.md): every subject starts with `<prefix>.<cluster>.`, so a NATS
 * permission on `statemesh.<cluster>.>` confines a node to its cluster.
 */
export interface Subjects {
  /** Live batches of `node` under the top-level subtree `token` (subject-routing.ts), broadcast. */
  batch(node: string, token: string): string;
  /** Every node's live batches of the subtree `token` (`batch.*.<token>`). */
  batchOf(token: string): string;
  /** Every node's live batches: what a node without interests subscribes to and the stream keeps. */
  readonly batchAll: string;
  /** Hello (join, reconnect), heartbeats and goodbye of `node`, broadcast. */
  presence(node: string): string;
  readonly presenceAll: string;
  /** Hellos sent to `node` alone (the answer to its broadcast Hello, or a question for its own). */
  hello(node: string): string;
  /** Acknowledgements (the sender's applied vector) of `node`, broadcast. */
  ack(node: string): string;
  readonly ackAll: string;
  /** Chunk requests served by `node` (request/reply). */
  chunk(node: string): string;
  /** Snapshot and catch-up pages served by `node` (request/reply, one page per request). */
  snapshot(node: string): string;
}

/** The subjects of `cluster` under `prefix` (default `statemesh`). */
export function subjectsOf(prefix: string, cluster: string): Subjects {
  const base = `${prefix}.${cluster}`;
  return {
    batch: (node, token) => `${base}.batch.${node}.${token}`,
    batchOf: (token) => `${base}.batch.*.${token}`,
    batchAll: `${base}.batch.*.*`,
    presence: (node) => `${base}.presence.${node}`,
    presenceAll: `${base}.presence.*`,
    hello: (node) => `${base}.hello.${node}`,
    ack: (node) => `${base}.ack.${node}`,
    ackAll: `${base}.ack.*`,
    chunk: (node) => `${base}.chunk.${node}`,
    snapshot: (node) => `${base}.snapshot.${node}`,
  };
}

/** The last token of a subject: the node id a message of `presence.*` or `ack.*` comes from. */
export function lastToken(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/** The node a message of `batch.<node>.<token>` comes from: the token before the last. */
export function batchSender(subject: string): string {
  const end = subject.lastIndexOf('.');
  return subject.slice(subject.lastIndexOf('.', end - 1) + 1, end);
}
