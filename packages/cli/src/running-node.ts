import { randomBytes } from 'node:crypto';
import { join, type Session } from '@statemesh/session';
import { NodeServer, type StreamStats } from './node-server.js';
import { resolveNodeConfig, type NodeConfig } from './node-config.js';

/** Options of {@link startNode} that are not part of the node config. */
export interface StartNodeOptions {
  /** Where the session's one-line warnings go (default `console.warn`). */
  readonly log?: ((line: string) => void) | undefined;
}

/** A node started by {@link startNode}: its session and its HTTP side. */
export interface RunningNode {
  readonly session: Session;
  /** `http://host:port` of the admin API, unless `admin: false`. */
  readonly adminUrl: string | undefined;
  /** The admin token (the configured one, or a random one made at start). */
  readonly token: string | undefined;
  /** `http://host:port` of the health/status/metrics/dashboard endpoint, when `http` is configured. */
  readonly httpUrl: string | undefined;
  /** The event-stream clients (`/events`, `/v1/watch`): how many, the bytes queued for them, how many dropped. */
  streamStats(): StreamStats;
  /** Closes the HTTP servers, then the session (which flushes). Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a node as `statemesh node` does: validates the config (`INVALID_CONFIG` names the field), joins the
 * cluster, then serves the admin API and, when configured, the HTTP endpoint.
 */
export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<RunningNode> {
  const resolved = resolveNodeConfig(config);
  const token = resolved.admin === undefined ? undefined : (resolved.admin.token ?? randomBytes(18).toString('base64url'));
  const session = await join(resolved.session, { log: options.log });
  let server: NodeServer;
  try {
    server = await NodeServer.start({
      session,
      admin: resolved.admin === undefined || token === undefined ? undefined : { host: resolved.admin.host, port: resolved.admin.port, token, maxValueBytes: resolved.admin.maxValueBytes },
      http: resolved.http,
      allowedHosts: resolved.allowedHosts,
    });
  } catch (error) {
    await session.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    session,
    adminUrl: server.adminUrl,
    token,
    httpUrl: server.httpUrl,
    streamStats: () => server.streamStats(),
    close: () => {
      closing ??= server.close().then(() => session.close());
      return closing;
    },
  };
}
