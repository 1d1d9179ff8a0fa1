import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatemeshError, isStatemeshError, type Change, type Session, type Version } from '@statemesh/session';
import { selectBricks } from './brick-selection.js';
import { ChangeLog } from './change-log.js';
import { ClusterView } from './cluster-view.js';
import { dashboardHtml } from './dashboard-page.js';
import { DEFAULT_MAX_STREAM_QUEUE_BYTES, EventStream } from './event-stream.js';
import { HostCheck } from './host-check.js';
import { PROMETHEUS_CONTENT_TYPE, formatPrometheus } from './prometheus.js';
import { DEFAULT_MAX_VALUE_BYTES, readBinaryBody, readJsonBody } from './request-body.js';
import { toValueView } from './value-view.js';
import { conflictView, continueIfAsked, count, required, sendJson, statusFor } from './http-answer.js';
import { formatWriteWait, parseWaitMs, parseWriteWait, reachLevel } from './write-wait.js';

/** Options of {@link NodeServer.start}. */
export interface NodeServerOptions {
  readonly session: Session;
  /** The authenticated admin API; absent: not served. */
  readonly admin?: {
    readonly host: string;
    readonly port: number;
    readonly token: string;
    /** The largest value a binary `PUT` takes (default 1 GiB, the session's own limit). */
    readonly maxValueBytes?: number | undefined;
  } | undefined;
  /** The read-only endpoint (health, status, metrics, dashboard); absent: not served. */
  readonly http?: { readonly host: string; readonly port: number } | undefined;
  /** How often the event streams send the status and the dashboard polls (default 1000 ms). */
  readonly statusIntervalMs?: number | undefined;
  /** Host names (besides addresses and localhost) the servers answer to; other `Host` headers get 403. */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Unsent bytes an event-stream client may fall behind by before it is dropped (default 1 MiB). */
  readonly maxStreamQueueBytes?: number | undefined;
}

/** The event-stream clients of a node's servers: how many, how far behind, how many were dropped. */
export interface StreamStats {
  readonly open: number;
  /** Bytes written to the open streams that their clients have not taken yet. */
  readonly queuedBytes: number;
  /** Clients dropped for falling more than `maxStreamQueueBytes` behind. */
  readonly dropped: number;
}

type Surface = 'admin' | 'public';

const PREFIX = '@statemesh/cli: ';
const MAX_TREE_ENTRIES = 2000;
const OCTET_STREAM = 'application/octet-stream';

/**
 * The HTTP side of a node: the admin API (JSON, bearer token) and the read-only endpoint with `/healthz`,
 * `/status`, `/metrics` (Prometheus) and the live dashboard (`/`, `/events`). Writes exist only on the admin API.
 */
export class NodeServer {
  /** `http://host:port` of the admin API, when served. */
  readonly adminUrl: string | undefined;
  /** `http://host:port` of the read-only endpoint and dashboard, when served. */
  readonly httpUrl: string | undefined;
  readonly #session: Session;
  readonly #tokenDigest: Buffer | undefined;
  readonly #servers: Server[];
  readonly #streams = new Set<EventStream>();
  readonly #statusIntervalMs: number;
  readonly #maxValueBytes: number;
  readonly #maxStreamQueueBytes: number;
  readonly #hosts: HostCheck;
  readonly #cluster: ClusterView;
  readonly #changes = new ChangeLog();
  readonly #stopWatching: () => void;
  readonly #sampler: NodeJS.Timeout;
  #dropped = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: NodeServerOptions, servers: Server[], adminUrl: string | undefined, httpUrl: string | undefined) {
    this.#session = options.session;
    this.#tokenDigest = options.admin === undefined ? undefined : sha256(options.admin.token);
    this.#servers = servers;
    this.#statusIntervalMs = options.statusIntervalMs ?? 1000;
    this.#maxValueBytes = options.admin?.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.#maxStreamQueueBytes = options.maxStreamQueueBytes ?? DEFAULT_MAX_STREAM_QUEUE_BYTES;
    this.#hosts = new HostCheck(options.allowedHosts);
    this.adminUrl = adminUrl;
    this.httpUrl = httpUrl;
    const session = this.#session;
    this.#cluster = new ClusterView(session.nodeId);
    this.#cluster.observe(session.status(), session.vector());
    // One watch feeds the dashboard's recent changes and the relays of the cluster view; both hold bounded memory.
    this.#stopWatching = session.watch('', (changes) => {
      this.#cluster.observeChanges(changes);
      for (const change of changes.slice(0, 50)) this.#changes.add(this.#changeView(change));
      if (changes.length > 50) this.#changes.add({ more: changes.length - 50 });
    });
    // Peers that leave are kept as dead only if someone looked before they left: look every interval.
    this.#sampler = setInterval(() => {
      if (session.running) this.#cluster.observe(session.status(), session.vector());
    }, this.#statusIntervalMs);
    this.#sampler.unref();
  }

  /** The event-stream clients now. */
  streamStats(): StreamStats {
    let queuedBytes = 0;
    for (const stream of this.#streams) queuedBytes += stream.queuedBytes;
    return { open: this.#streams.size, queuedBytes, dropped: this.#dropped };
  }

  /** Starts the configured servers; throws `IO_ERROR` when an address is taken. */
  static async start(options: NodeServerOptions): Promise<NodeServer> {
    const servers: Server[] = [];
    let self: NodeServer | undefined;
    const serve = async (surface: Surface, host: string, port: number): Promise<string> => {
      const handler = (request: IncomingMessage, response: ServerResponse): void => {
        if (self === undefined) {
          response.writeHead(503).end();
          return;
        }
        const server = self;
        server.#handle(surface, request, response).catch((error: unknown) => server.#fail(response, error));
      };
      const server = createServer(handler);
      // A client that sends "expect: 100-continue" (statemesh set --file does) hears of a refusal (token, Host,
      // size) before it sends the body; the handler says "continue" once it is ready to read it.
      server.on('checkContinue', handler);
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error) => reject(new StatemeshError('IO_ERROR', `${PREFIX}cannot listen on ${host}:${port} for the ${surface === 'admin' ? 'admin API' : 'HTTP endpoint'}: ${error.message}`, { cause: error })));
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    };
    try {
      const adminUrl = options.admin === undefined ? undefined : await serve('admin', options.admin.host, options.admin.port);
      const httpUrl = options.http === undefined ? undefined : await serve('public', options.http.host, options.http.port);
      self = new NodeServer(options, servers, adminUrl, httpUrl);
      return self;
    } catch (error) {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      throw error;
    }
  }

  /** Ends the event streams and closes the servers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sampler);
      this.#stopWatching();
      for (const stream of this.#streams) stream.end();
      this.#streams.clear();
      await Promise.all(
        this.#servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    })();
    return this.#closing;
  }

  async #handle(surface: Surface, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    if (!this.#hosts.allows(request.headers.host)) {
      return sendJson(response, 403, {
        error: {
          code: 'INVALID_ARGUMENT',
          message: `${PREFIX}refused a request for Host ${JSON.stringify(request.headers.host)}: this node answers its addresses and localhost only (a guard against DNS rebinding); to reach it by that name, start it with --allow-host ${JSON.stringify(request.headers.host?.replace(/:\d+$/, ''))} (allowedHosts in the config)`,
        },
      });
    }
    if (surface === 'admin') {
      if (!this.#authorized(request)) {
        response.setHeader('www-authenticate', 'Bearer realm="statemesh"');
        return sendJson(response, 401, { error: { code: 'UNAUTHENTICATED', message: `${PREFIX}missing or wrong token: send the node's admin token as "authorization: Bearer <token>"` } });
      }
      return this.#admin(method, url, request, response);
    }
    return this.#public(method, url, request, response);
  }

  #authorized(request: IncomingMessage): boolean {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match === null || this.#tokenDigest === undefined) return false;
    return timingSafeEqual(sha256(match[1]!.trim()), this.#tokenDigest);
  }

  async #admin(method: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const session = this.#session;
    const route = `${method} ${url.pathname}`;
    switch (route) {
      case 'GET /v1/status': {
        const status = session.status();
        const vector = session.vector();
        this.#cluster.observe(status, vector);
        return sendJson(response, 200, { status, metrics: session.metrics(), vector, digest: session.digest(), cluster: this.#cluster.snapshot(status), store: session.storeStats() });
      }
      case 'GET /v1/peers':
        return sendJson(response, 200, session.status().peers);
      case 'GET /v1/conflicts':
        return sendJson(response, 200, session.recentConflicts(count(url.searchParams.get('max'), 32)).map(conflictView));
      case 'GET /v1/entries': {
        const prefix = url.searchParams.get('prefix') ?? '';
        return sendJson(response, 200, session.entries(prefix).map((entry) => toValueView(entry.path, entry, false)));
      }
      case 'GET /v1/value': {
        const path = required(url, 'path');
        const value = session.get(path);
        if (value === undefined) return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `${PREFIX}no value at ${JSON.stringify(path)}` } });
        if (url.searchParams.get('raw') === '1' && value.type !== 'json' && value.type !== 'text') {
          // The bytes as they are: no base64, no JSON string (which could not hold a value of 1 GiB).
          if (value.pending || value.bytes === undefined) return sendJson(response, 409, { error: { code: 'NOT_STARTED', message: `${PREFIX}${JSON.stringify(path)} is still being fetched from peers` } });
          response.writeHead(200, { 'content-type': OCTET_STREAM, 'content-length': value.bytes.byteLength, 'x-statemesh-type': value.type, 'cache-control': 'no-store' });
          response.end(value.bytes);
          return;
        }
        return sendJson(response, 200, toValueView(path, value, url.searchParams.get('bytes') === '1'));
      }
      case 'PUT /v1/value': {
        const path = required(url, 'path');
        // ?wait=durable|replicated:N answers once the write got that far (504 TIMEOUT after wait-ms).
        const wait = parseWriteWait(url.searchParams.get('wait'));
        const waitMs = parseWaitMs(url.searchParams.get('wait-ms'));
        const answer = async (version: Version) => {
          await reachLevel(session, version, wait, waitMs);
          sendJson(response, 200, { path, version, wait: formatWriteWait(wait) });
        };
        if ((request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === OCTET_STREAM) {
          const type = url.searchParams.get('type') ?? 'bytes';
          const bytes = readBinaryBody(request, this.#maxValueBytes);
          continueIfAsked(request, response);
          return answer(session.setBytes(path, await bytes, type));
        }
        const reading = readJsonBody(request);
        continueIfAsked(request, response);
        const body = await reading;
        if (typeof body !== 'object' || body === null || !('value' in body || 'text' in body || 'base64' in body)) {
          throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the body must be {"value": <json>}, {"text": "<string>"} or {"base64": "<bytes>", "type": "<type>"}, or the bytes themselves with content-type: ${OCTET_STREAM}`);
        }
        const version =
          'base64' in body
            ? session.setBytes(path, Buffer.from(String(body.base64), 'base64'), 'type' in body && typeof body.type === 'string' ? body.type : 'bytes')
            : 'text' in body
              ? session.setText(path, String(body.text))
              : session.set(path, body.value);
        return answer(version);
      }
      case 'DELETE /v1/value': {
        const all = url.searchParams.get('all') === '1';
        const path = url.searchParams.get('path') ?? '';
        if (all && path !== '') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}all=1 deletes the whole tree and takes no path; leave out one or the other`);
        if (!all && path === '') {
          throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}deleting the empty path deletes the whole tree on every replica; to mean that, send all=1 (statemesh delete --all)`);
        }
        const wait = parseWriteWait(url.searchParams.get('wait'));
        const version = session.delete(path);
        await reachLevel(session, version, wait, parseWaitMs(url.searchParams.get('wait-ms')));
        return sendJson(response, 200, { path, version, wait: formatWriteWait(wait) });
      }
      case 'GET /v1/watch':
        return this.#watchStream(url.searchParams.get('prefix') ?? '', response);
      default:
        return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `${PREFIX}no admin route ${route}` } });
    }
  }

  async #public(method: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return sendJson(response, 405, { error: { code: 'INVALID_ARGUMENT', message: `${PREFIX}this endpoint is read-only; write through the admin API with its token` } });
    }
    const session = this.#session;
    switch (url.pathname) {
      case '/healthz': {
        const running = session.running;
        response.writeHead(running ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(running ? 'ok\n' : 'closed\n');
        return;
      }
      case '/status':
        return sendJson(response, 200, this.#snapshot());
      case '/metrics':
        response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
        response.end(formatPrometheus(session.status(), session.metrics(), this.streamStats()));
        return;
      case '/':
        // The page carries its first state: it shows the cluster before any request of its own returns.
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        response.end(dashboardHtml({ snapshot: this.#snapshot(), changes: this.#changes.after(0), last: this.#changes.last, pollMs: this.#statusIntervalMs }));
        return;
      case '/dashboard.json': {
        // What the page polls: short requests, so a screenshot tool's virtual time can run out and settle.
        const after = Number(url.searchParams.get('after') ?? 0);
        return sendJson(response, 200, { snapshot: this.#snapshot(), changes: this.#changes.after(Number.isFinite(after) ? after : 0), last: this.#changes.last });
      }
      case '/events':
        return this.#dashboardStream(response);
      case '/tree': {
        const prefix = url.searchParams.get('prefix') ?? '';
        const entries = session.entries(prefix);
        return sendJson(response, 200, { prefix, total: entries.length, entries: entries.slice(0, MAX_TREE_ENTRIES).map((entry) => toValueView(entry.path, entry, false)) });
      }
      case '/bricks': {
        const path = required(url, 'path');
        const value = session.get(path);
        if (value === undefined || value.type !== 'brick-manifest') return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `${PREFIX}no brick-manifest value at ${JSON.stringify(path)}` } });
        if (value.bytes === undefined) return sendJson(response, 409, { error: { code: 'NOT_STARTED', message: `${PREFIX}the manifest at ${JSON.stringify(path)} is still being fetched` } });
        const view = session.get(`${path}.view`)?.value;
        return sendJson(response, 200, await selectBricks(value.bytes, Array.isArray(view) ? (view as number[]) : undefined));
      }
      default:
        return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `${PREFIX}no page ${url.pathname}` } });
    }
  }

  #snapshot(): unknown {
    const session = this.#session;
    const status = session.status();
    this.#cluster.observe(status, session.vector());
    return {
      status,
      metrics: { ...session.metrics(), conflicts: undefined },
      conflicts: session.recentConflicts(20).map(conflictView),
      cluster: this.#cluster.snapshot(status),
      streams: this.streamStats(),
      time: Date.now(),
    };
  }

  /** Server-sent events of the changes under `prefix`, one `change` event per changed path. */
  #watchStream(prefix: string, response: ServerResponse): void {
    const stream = this.#openStream(response);
    const stop = this.#session.watch(prefix, (changes) => {
      for (const change of changes) {
        if (!stream.open) break;
        stream.send('change', this.#changeView(change));
      }
    });
    response.on('close', () => {
      stop();
      this.#streams.delete(stream);
    });
  }

  /** The status now and every interval, and the paths of each applied batch (for tools; the page polls). */
  #dashboardStream(response: ServerResponse): void {
    const stream = this.#openStream(response);
    stream.send('status', this.#snapshot());
    const timer = setInterval(() => stream.send('status', this.#snapshot()), this.#statusIntervalMs);
    const stop = this.#session.watch('', (changes) => {
      if (stream.open) stream.send('change', { count: changes.length, changes: changes.slice(0, 50).map((change) => this.#changeView(change)) });
    });
    response.on('close', () => {
      clearInterval(timer);
      stop();
      this.#streams.delete(stream);
    });
  }

  #openStream(response: ServerResponse): EventStream {
    const stream = new EventStream(response, this.#maxStreamQueueBytes, () => {
      this.#dropped++;
      this.#streams.delete(stream);
    });
    this.#streams.add(stream);
    return stream;
  }

  #changeView(change: Change): unknown {
    const current = change.op === 'set' ? this.#session.get(change.path) : undefined;
    const view = current === undefined ? undefined : toValueView(change.path, current, false);
    return {
      path: change.path,
      op: change.op,
      type: change.type,
      origin: change.version.origin,
      seq: change.version.seq,
      from: change.from,
      pending: change.pending,
      ...(view !== undefined && 'value' in view ? { value: view.value } : {}),
    };
  }

  #fail(response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const code = isStatemeshError(error) ? error.code : 'INTERNAL';
    sendJson(response, statusFor(code), { error: { code, message: error instanceof Error ? error.message : String(error) } });
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
