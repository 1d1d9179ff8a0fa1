import { request as httpRequest, type IncomingMessage } from 'node:http';
import { ERROR_CODES, StatemeshError, type ErrorCode, type PeerStatus, type SessionStatus } from '@statemesh/session';
import type { ValueView } from './value-view.js';

/** A change as `watch` reports it. */
export interface ChangeView {
  readonly path: string;
  readonly op: 'set' | 'delete';
  readonly type: string;
  readonly origin: string;
  readonly seq: number;
  /** `local` when written on the watched node, else the peer it came from. */
  readonly from: string;
  readonly pending: boolean;
  /** The new value, for `json` and `text` values. */
  readonly value?: unknown;
}

/** A conflict as the admin API reports it (hybrid timestamps as decimal strings). */
export interface ConflictView {
  readonly path: string;
  readonly winner: { readonly origin: string; readonly seq: number; readonly hlc: string };
  readonly loser: { readonly origin: string; readonly seq: number; readonly hlc: string };
  readonly at: number;
}

/** What `status()` returns: the session's status and metrics, its version vector and digest. */
export interface NodeStatusView {
  readonly status: SessionStatus;
  readonly metrics: {
    readonly remote: Readonly<Record<'applied' | 'duplicates' | 'stale' | 'rejected', number>>;
    readonly conflicts: { readonly detected: number; readonly lost: number };
    readonly transport: Readonly<Record<'published' | 'delivered' | 'peers' | 'badFrames' | 'authFailures', number>>;
    readonly catchUps: { readonly completed: number; readonly failed: number };
    readonly hydrations: { readonly completed: number; readonly failed: number; readonly pending: number };
    readonly entries: number;
    readonly tombstones: number;
  };
  readonly vector: Readonly<Record<string, number>>;
  readonly digest: string;
}

/** An open `watch` stream. */
export interface WatchStream {
  /** Resolves when the stream ends (the node closed it or `close()` was called). */
  readonly done: Promise<void>;
  close(): void;
}

const PREFIX = '@statemesh/cli: ';

/**
 * A client of a node's admin API (`statemesh node` serves it). Errors: `UNAUTHENTICATED` for a missing or wrong
 * token, `PEER_UNAVAILABLE` when no node answers, the node's own error code otherwise.
 */
export class AdminClient {
  readonly url: string;
  readonly #token: string;

  /** `url` like `http://127.0.0.1:7700`; `token` the node's admin token. */
  constructor(url: string, token: string) {
    try {
      new URL(url);
    } catch (error) {
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}--node must be a URL such as http://127.0.0.1:7700, not ${JSON.stringify(url)}`, { cause: error });
    }
    this.url = url.replace(/\/+$/, '');
    this.#token = token;
  }

  /** Status, metrics, version vector and digest of the node. */
  status(): Promise<NodeStatusView> {
    return this.#json('GET', '/v1/status');
  }

  /** The node's peers and their states. */
  peers(): Promise<PeerStatus[]> {
    return this.#json('GET', '/v1/peers');
  }

  /** The value at `path`, or undefined; `bytes: true` adds binary values as base64. */
  async get(path: string, options: { bytes?: boolean } = {}): Promise<ValueView | undefined> {
    try {
      return await this.#json<ValueView>('GET', `/v1/value?path=${encodeURIComponent(path)}${options.bytes === true ? '&bytes=1' : ''}`);
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
  }

  /** Writes a JSON value. */
  set(path: string, value: unknown): Promise<{ path: string; version: { hlc: string; origin: string; seq: number } }> {
    return this.#json('PUT', `/v1/value?path=${encodeURIComponent(path)}`, { value });
  }

  /** Writes a string (type `text`). */
  setText(path: string, text: string): Promise<{ path: string; version: { hlc: string; origin: string; seq: number } }> {
    return this.#json('PUT', `/v1/value?path=${encodeURIComponent(path)}`, { text });
  }

  /** Writes bytes with a value type (`bytes`, `brick-manifest`, ...); large values travel as chunks. */
  setBytes(path: string, bytes: Uint8Array, type = 'bytes'): Promise<{ path: string; version: { hlc: string; origin: string; seq: number } }> {
    return this.#json('PUT', `/v1/value?path=${encodeURIComponent(path)}`, { base64: Buffer.from(bytes).toString('base64'), type });
  }

  /** Deletes the subtree at `path`. */
  delete(path: string): Promise<{ path: string; version: { hlc: string; origin: string; seq: number } }> {
    return this.#json('DELETE', `/v1/value?path=${encodeURIComponent(path)}`);
  }

  /** Every value under `prefix` (binary values summarised). */
  entries(prefix: string): Promise<ValueView[]> {
    return this.#json('GET', `/v1/entries?prefix=${encodeURIComponent(prefix)}`);
  }

  /** The most recent conflicts, most recent first. */
  conflicts(max = 32): Promise<ConflictView[]> {
    return this.#json('GET', `/v1/conflicts?max=${max}`);
  }

  /** Streams the changes under `prefix` to `onChange` until `close()`; resolves once the stream is open. */
  async watch(prefix: string, onChange: (change: ChangeView) => void): Promise<WatchStream> {
    const response = await this.#send('GET', `/v1/watch?prefix=${encodeURIComponent(prefix)}`, undefined);
    await failUnlessOk(response);
    response.setEncoding('utf8');
    let buffer = '';
    response.on('data', (text: string) => {
      buffer += text;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
        if (/^event: change$/m.test(block) && data !== '') onChange(JSON.parse(data) as ChangeView);
      }
    });
    const done = new Promise<void>((resolve) => {
      response.on('close', resolve);
      response.on('end', resolve);
    });
    return { done, close: () => response.destroy() };
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, body);
    await failUnlessOk(response);
    return JSON.parse(await readAll(response)) as T;
  }

  #send(method: string, path: string, body: unknown): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        `${this.url}${path}`,
        {
          method,
          agent: false,
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        resolve,
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        reject(new StatemeshError('PEER_UNAVAILABLE', `${PREFIX}no node answers at ${this.url} (${error.code ?? error.message}); is \`statemesh node\` running there? (--node or STATEMESH_NODE)`, { cause: error }));
      });
      request.end(payload);
    });
  }
}

/** A 404 from the node: `get` turns it into undefined. */
class NotFound extends Error {}

async function failUnlessOk(response: IncomingMessage): Promise<void> {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return;
  const text = await readAll(response);
  let code: string | undefined;
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code;
    message = parsed.error?.message ?? text;
  } catch {
    // not JSON: keep the text
  }
  if (status === 401) throw new StatemeshError('UNAUTHENTICATED', `${PREFIX}the node refused the request: missing or wrong token (--token or STATEMESH_TOKEN must be the node's admin token)`);
  if (status === 404 && code === 'NOT_FOUND') throw new NotFound(message);
  const known = (ERROR_CODES as readonly string[]).includes(code ?? '') ? (code as ErrorCode) : 'INTERNAL';
  throw new StatemeshError(known, message.startsWith('@statemesh/') ? message : `${PREFIX}the node answered ${status}: ${message}`);
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}
