import { randomBytes } from 'node:crypto';
import { join, type Session } from '@statemesh/session';
import { NodeServer, type StreamStats } from './node-server.js';
import { resolveNodeConfig, type NodeConfig } from './node-config.js';
import { startWebEndpoint, type WebEndpoint } from './web-endpoint.js';

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
  /** `http://host:port/#token=...` of the viewer, when `web` is configured. */
  readonly viewerUrl: string | undefined;
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
  // The browser endpoint listens first: its WebSocket listener is one of the node's from the start.
  const web = resolved.web;
  let endpoint: WebEndpoint | undefined;
  if (web !== undefined) {
    endpoint = await startWebEndpoint({
      host: web.host,
      port: web.port,
      token: web.token ?? randomBytes(18).toString('base64url'),
      insecure: web.insecure,
      clusterId: resolved.session.clusterId,
      volume: web.volume,
      scene: web.scene,
      allowedHosts: resolved.allowedHosts,
      // The node's own TLS material, when it has a certificate and key: the viewer over HTTPS, links over wss.
      tls: resolved.session.tls?.cert !== undefined && resolved.session.tls.key !== undefined ? { cert: resolved.session.tls.cert, key: resolved.session.tls.key } : undefined,
    });
  }
  let session: Session;
  try {
    session = await join(resolved.session, { log: options.log, listeners: endpoint === undefined ? [] : [endpoint.listener] });
  } catch (error) {
    await endpoint?.close();
    throw error;
  }
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
    await endpoint?.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    session,
    adminUrl: server.adminUrl,
    token,
    httpUrl: server.httpUrl,
    viewerUrl: endpoint?.viewerUrl,
    streamStats: () => server.streamStats(),
    close: () => {
      closing ??= server.close().then(() => session.close()).then(() => endpoint?.close());
      return closing;
    },
  };
}
