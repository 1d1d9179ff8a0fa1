import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ERROR_CODES, StatemeshError, isStatemeshError, type ErrorCode, type PeerStatus, type ReplicaStoreStats, type SessionStatus } from '@statemesh/session';
import type { ClusterSnapshot } from './cluster-view.js';
import type { ValueView } from './value-view.js';
import { formatWriteWait, type WriteWait } from './write-wait.js';

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
  /** The cluster as this node knows it: peers (also those that left, as `dead`) and nodes reached through relays. */
  readonly cluster: ClusterSnapshot;
  /** The replica store, when the node runs with `--data` (absent otherwise). */
  readonly store?: ReplicaStoreStats | undefined;
}

/** What a write answers: the path and the version the node gave the write. */
export interface WriteResult {
  readonly path: string;
  readonly version: { readonly hlc: string; readonly origin: string; readonly seq: number };
  /** The level the write reached before the answer (`local`, `durable`, `replicated:N`). */
  readonly wait?: string | undefined;
}

/** How far a write must get before the node answers, and for how long it may wait (504 `TIMEOUT` after). */
export interface WriteWaitOptions {
  readonly wait?: WriteWait | undefined;
  readonly waitMs?: number | undefined;
}

/** The query a write's wait adds (empty for `local`). */
function waitQuery(options: WriteWaitOptions | undefined): string {
  const wait = options?.wait;
  if (wait === undefined || wait.level === 'local') return '';
  return `&wait=${encodeURIComponent(formatWriteWait(wait))}${options?.waitMs === undefined ? '' : `&wait-ms=${options.waitMs}`}`;
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

  /**
   * Streams the bytes of the binary value at `path` into `destination` as they are (no base64, so any size).
   * Rejects with `INVALID_ARGUMENT` when there is no value, `NOT_STARTED` while it is being fetched, `INVALID_TYPE`
   * for a JSON or text value.
   */
  async pipeBytes(path: string, destination: NodeJS.WritableStream): Promise<void> {
    const response = await this.#send('GET', `/v1/value?path=${encodeURIComponent(path)}&raw=1`, undefined);
    if (response.statusCode === 404) {
      await readAll(response);
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}no value at ${JSON.stringify(path)}`);
    }
    await failUnlessOk(response);
    if (!(response.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
      await readAll(response);
      throw new StatemeshError('INVALID_TYPE', `${PREFIX}the value at ${JSON.stringify(path)} is not binary; read it with get()`);
    }
    await pipeline(response, destination, { end: false });
  }

  /** Writes a JSON value. */
  set(path: string, value: unknown, wait?: WriteWaitOptions): Promise<WriteResult> {
    return this.#json('PUT', `/v1/value?path=${encodeURIComponent(path)}${waitQuery(wait)}`, { value });
  }

  /** Writes a string (type `text`). */
  setText(path: string, text: string, wait?: WriteWaitOptions): Promise<WriteResult> {
    return this.#json('PUT', `/v1/value?path=${encodeURIComponent(path)}${waitQuery(wait)}`, { text });
  }

  /** Writes bytes with a value type (`bytes`, `brick-manifest`, ...), sent as they are (a binary `PUT`). */
  async setBytes(path: string, bytes: Uint8Array, type = 'bytes', wait?: WriteWaitOptions): Promise<WriteResult> {
    return this.#upload(path, type, bytes.byteLength, (request) => request.end(bytes), wait);
  }

  /**
   * Writes the bytes of a file (`-`: standard input), streamed to the node as a binary `PUT` — any size the node
   * takes (a larger one gets `VALUE_TOO_LARGE` before it is sent). `onProgress` hears of the bytes sent.
   */
  async setFile(path: string, file: string, type = 'bytes', onProgress?: (sent: number, total: number | undefined) => void, wait?: WriteWaitOptions): Promise<WriteResult> {
    let size: number | undefined;
    if (file !== '-') {
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a regular file');
        size = info.size;
      } catch (error) {
        throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}cannot read ${file}: ${(error as Error).message}`, { cause: error });
      }
    }
    return this.#upload(path, type, size, (request) => {
      const source: Readable = file === '-' ? process.stdin : createReadStream(file);
      let sent = 0;
      source.on('data', (chunk: Buffer) => {
        sent += chunk.byteLength;
        onProgress?.(sent, size);
      });
      source.on('error', (error) => request.destroy(new StatemeshError('IO_ERROR', `${PREFIX}reading ${file} failed: ${error.message}`, { cause: error })));
      source.pipe(request);
    }, wait);
  }

  /** Deletes the subtree at `path` (not the empty path: {@link deleteAll} says that explicitly). */
  delete(path: string): Promise<WriteResult> {
    if (path === '') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}delete('') would delete the whole tree on every replica; call deleteAll() (statemesh delete --all) to mean that`);
    return this.#json('DELETE', `/v1/value?path=${encodeURIComponent(path)}`);
  }

  /** Deletes the whole tree, on every replica. */
  deleteAll(): Promise<WriteResult> {
    return this.#json('DELETE', '/v1/value?all=1');
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

  /**
   * A binary `PUT` with "expect: 100-continue": a refusal (token, size) comes back before the body is sent;
   * `send` writes the body once the node says continue.
   */
  async #upload(path: string, type: string, size: number | undefined, send: (request: ClientRequest) => void, wait?: WriteWaitOptions): Promise<WriteResult> {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      let answered = false;
      const request = httpRequest(`${this.url}/v1/value?path=${encodeURIComponent(path)}&type=${encodeURIComponent(type)}${waitQuery(wait)}`, {
        method: 'PUT',
        agent: false,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json',
          'content-type': 'application/octet-stream',
          expect: '100-continue',
          ...(size === undefined ? {} : { 'content-length': size }),
        },
      });
      request.on('continue', () => send(request));
      request.on('response', (answer) => {
        answered = true;
        // A refusal comes before the body was sent: the request is over once its answer is read.
        answer.once('end', () => request.destroy());
        resolve(answer);
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) return; // the node answered (a refusal) and closed while the body was still going out
        if (isStatemeshError(error)) reject(error);
        else reject(unavailable(this.url, error));
      });
      request.flushHeaders();
    });
    await failUnlessOk(response);
    return JSON.parse(await readAll(response)) as WriteResult;
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
      request.on('error', (error: NodeJS.ErrnoException) => reject(unavailable(this.url, error)));
      request.end(payload);
    });
  }
}

function unavailable(url: string, error: NodeJS.ErrnoException): StatemeshError {
  return new StatemeshError('PEER_UNAVAILABLE', `${PREFIX}no node answers at ${url} (${error.code ?? error.message}); is \`statemesh node\` running there? (--node or STATEMESH_NODE)`, { cause: error });
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
  if (status === 401) throw new StatemeshError('UNAUTHENTICATED', `${PREFIX}the node refused the request: missing or wrong token ($STATEMESH_TOKEN or the file of --token-file must hold the node's admin token)`);
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
