/** A request from the demo to one of its node processes. */
export interface NodeRequest {
  readonly id: number;
  readonly op: string;
  readonly args: readonly unknown[];
}

/** A node's answer to a {@link NodeRequest}. */
export interface NodeReply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

/** Something a node reports on its own: ready, a probe seen, a log line. */
export type NodeEvent =
  | { readonly type: 'ready'; readonly node: string }
  | { readonly type: 'seen'; readonly node: string; readonly path: string; readonly latencyMs: number }
  | { readonly type: 'log'; readonly line: string };
