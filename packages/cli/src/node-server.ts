import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatemeshError, isStatemeshError, type Change, type Conflict, type Session } from '@statemesh/session';
import { selectBricks } from './brick-selection.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { PROMETHEUS_CONTENT_TYPE, formatPrometheus } from './prometheus.js';
import { toValueView } from './value-view.js';

/** Options of {@link NodeServer.start}. */
export interface NodeServerOptions {
  readonly session: Session;
  /** The authenticated admin API; absent: not served. */
  readonly admin?: { readonly host: string; readonly port: number; readonly token: string } | undefined;
  /** The read-only endpoint (health, status, metrics, dashboard); absent: not served. */
  readonly http?: { readonly host: string; readonly port: number } | undefined;
  /** How often the dashboard's event stream sends the status (default 1000 ms). */
  readonly statusIntervalMs?: number | undefined;
}

type Surface = 'admin' | 'public';

const PREFIX = '@statemesh/cli: ';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_TREE_ENTRIES = 2000;

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
  readonly #streams = new Set<ServerResponse>();
  readonly #statusIntervalMs: number;
  #closing: Promise<void> | undefined;

  private constructor(options: NodeServerOptions, servers: Server[], adminUrl: string | undefined, httpUrl: string | undefined) {
    this.#session = options.session;
    this.#tokenDigest = options.admin === undefined ? undefined : sha256(options.admin.token);
    this.#servers = servers;
    this.#statusIntervalMs = options.statusIntervalMs ?? 1000;
    this.adminUrl = adminUrl;
    this.httpUrl = httpUrl;
  }

  /** Starts the configured servers; throws `IO_ERROR` when an address is taken. */
  static async start(options: NodeServerOptions): Promise<NodeServer> {
    const servers: Server[] = [];
    let self: NodeServer | undefined;
    const serve = async (surface: Surface, host: string, port: number): Promise<string> => {
      const server = createServer((request, response) => {
        if (self === undefined) {
          response.writeHead(503).end();
          return;
        }
        const server = self;
        server.#handle(surface, request, response).catch((error: unknown) => server.#fail(response, error));
      });
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
    if (surface === 'admin') {
      if (!this.#authorized(request)) {
        response.setHeader('www-authenticate', 'Bearer realm="statemesh"');
        return sendJson(response, 401, { error: { code: 'UNAUTHENTICATED', message: `${PREFIX}missing or wrong token: send the node's admin token as "authorization: Bearer <token>"` } });
      }
      return this.#admin(method, url, request, response);
    }
    return this.#public(method, url, response);
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
      case 'GET /v1/status':
        return sendJson(response, 200, { status: session.status(), metrics: session.metrics(), vector: session.vector(), digest: session.digest() });
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
        return sendJson(response, 200, toValueView(path, value, url.searchParams.get('bytes') === '1'));
      }
      case 'PUT /v1/value': {
        const path = required(url, 'path');
        const body = await readJson(request);
        if (typeof body !== 'object' || body === null || !('value' in body || 'text' in body || 'base64' in body)) {
          throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the body must be {"value": <json>}, {"text": "<string>"} or {"base64": "<bytes>", "type": "<type>"}`);
        }
        const version =
          'base64' in body
            ? session.setBytes(path, Buffer.from(String(body.base64), 'base64'), 'type' in body && typeof body.type === 'string' ? body.type : 'bytes')
            : 'text' in body
              ? session.setText(path, String(body.text))
              : session.set(path, body.value);
        return sendJson(response, 200, { path, version });
      }
      case 'DELETE /v1/value': {
        const path = required(url, 'path');
        return sendJson(response, 200, { path, version: session.delete(path) });
      }
      case 'GET /v1/watch':
        return this.#watchStream(url.searchParams.get('prefix') ?? '', response);
      default:
        return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `${PREFIX}no admin route ${route}` } });
    }
  }

  async #public(method: string, url: URL, response: ServerResponse): Promise<void> {
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
        response.end(formatPrometheus(session.status(), session.metrics()));
        return;
      case '/':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        response.end(DASHBOARD_HTML);
        return;
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
    return { status: session.status(), metrics: { ...session.metrics(), conflicts: undefined }, conflicts: session.recentConflicts(20).map(conflictView), time: Date.now() };
  }

  /** Server-sent events of the changes under `prefix`, one `change` event per changed path. */
  #watchStream(prefix: string, response: ServerResponse): void {
    this.#openStream(response);
    const stop = this.#session.watch(prefix, (changes) => {
      for (const change of changes) sendEvent(response, 'change', this.#changeView(change));
    });
    response.on('close', () => {
      stop();
      this.#streams.delete(response);
    });
  }

  /** The dashboard's stream: the status now and every interval, and the paths of each applied batch. */
  #dashboardStream(response: ServerResponse): void {
    this.#openStream(response);
    sendEvent(response, 'status', this.#snapshot());
    const timer = setInterval(() => sendEvent(response, 'status', this.#snapshot()), this.#statusIntervalMs);
    const stop = this.#session.watch('', (changes) => {
      sendEvent(response, 'change', { count: changes.length, changes: changes.slice(0, 50).map((change) => this.#changeView(change)) });
    });
    response.on('close', () => {
      clearInterval(timer);
      stop();
      this.#streams.delete(response);
    });
  }

  #openStream(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(': statemesh\n\n');
    this.#streams.add(response);
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
    const status =
      code === 'TIMEOUT' ? 504
      : code.startsWith('INVALID') || code === 'RESERVED_PATH' || code === 'VALUE_TOO_LARGE' ? 400
      : ['TRUNCATED', 'BAD_MAGIC', 'VERSION_MISMATCH', 'CORRUPT_INPUT'].includes(code) ? 422
      : 500;
    sendJson(response, status, { error: { code, message: error instanceof Error ? error.message : String(error) } });
  }
}

/** A conflict with its hybrid timestamps as decimal strings (JSON has no 64-bit integers). */
function conflictView(conflict: Conflict): unknown {
  return {
    path: conflict.path,
    winner: { ...conflict.winner, hlc: conflict.winner.hlc.toString() },
    loser: { ...conflict.loser, hlc: conflict.loser.hlc.toString() },
    at: conflict.at,
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

function sendEvent(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n\n`);
}

function required(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the query parameter ${name} is required`);
  return value;
}

function count(text: string | null, fallback: number): number {
  const n = Number(text ?? fallback);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 128) : fallback;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the request body is not valid JSON`, { cause: error });
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
