import { readFileSync } from 'node:fs';
import { StatemeshError, resolveConfig, type SessionConfig } from '@statemesh/session';
import { readTokenFile } from './admin-token.js';
import { DEFAULT_MAX_VALUE_BYTES } from './request-body.js';

/** Where the authenticated admin API listens, and its bearer token. */
export interface AdminConfig {
  /** `host:port` (default `127.0.0.1:7700`; port 0 picks a free port). */
  readonly listen?: string | undefined;
  /** Clients must send `authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** A file holding the token (its first line), instead of `token`. */
  readonly tokenFile?: string | undefined;
  /** The largest value a binary `PUT` takes (default 1 GiB, the session's own limit per value). */
  readonly maxValueBytes?: number | undefined;
}

/** The read-only HTTP endpoint: health, status, Prometheus metrics, dashboard. Off unless configured. */
export interface HttpConfig {
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined;
}

/** The browser endpoint: the viewer and its WebSocket links, on one HTTP server. Off unless configured. */
export interface WebConfig {
  /** `host:port` (port 0: any free port). Anything but loopback needs the node's `tls` certificate and key, or `insecure`. */
  readonly listen: string;
  /** The token browsers send first (default: a random one, printed in the viewer's URL). */
  readonly token?: string | undefined;
  /** A file holding it (its first line), instead of `token`. */
  readonly tokenFile?: string | undefined;
  /** Allow a non-loopback `listen` in plain HTTP. */
  readonly insecure?: boolean | undefined;
  /** The volume the viewer shows (default: the first one in the tree). */
  readonly volume?: string | undefined;
  /** The scene's prefix in the tree (default `scene`). */
  readonly scene?: string | undefined;
}

/** A node's config file: the session config (DESIGN.md section 6) plus `admin`, `http` and `web`. */
export interface NodeConfig extends SessionConfig {
  /** The admin API (default on, `127.0.0.1:7700`); `false` turns it off. */
  readonly admin?: AdminConfig | false | undefined;
  readonly http?: HttpConfig | undefined;
  /** The viewer and browsers' WebSocket endpoint (`statemesh node --web`). */
  readonly web?: WebConfig | undefined;
  /** Host names the HTTP servers answer to besides addresses and `localhost` (a guard against DNS rebinding). */
  readonly allowedHosts?: readonly string[] | undefined;
}

/** A node config with the admin and HTTP parts resolved. */
export interface ResolvedNodeConfig {
  readonly session: SessionConfig;
  readonly admin: { readonly host: string; readonly port: number; readonly token: string | undefined; readonly maxValueBytes: number } | undefined;
  readonly http: { readonly host: string; readonly port: number } | undefined;
  readonly web: { readonly host: string; readonly port: number; readonly token: string | undefined; readonly insecure: boolean; readonly volume: string | undefined; readonly scene: string | undefined } | undefined;
  readonly allowedHosts: readonly string[];
}

/** The admin API's default address. */
export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:7700';

const PREFIX = '@statemesh/cli: ';

/** Reads a node config file (JSON); throws `INVALID_CONFIG` when it cannot be read or parsed. */
export function readNodeConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StatemeshError('INVALID_CONFIG', `${PREFIX}cannot read the config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StatemeshError('INVALID_CONFIG', `${PREFIX}the config file ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('config', 'must be a JSON object');
  return parsed as NodeConfig;
}

/**
 * The `--hydrate` flag as the session's `hydrate`: `eager`, `lazy`, or prefixes fetched eagerly, comma separated
 * (`scene,app.meshes`); throws `INVALID_ARGUMENT` for an empty list.
 */
export function parseHydrate(text: string): 'eager' | 'lazy' | string[] {
  if (text === 'eager' || text === 'lazy') return text;
  const prefixes = text.split(',').map((prefix) => prefix.trim()).filter((prefix) => prefix !== '');
  if (prefixes.length === 0) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}--hydrate must be eager, lazy or a comma-separated list of prefixes (scene,app.meshes), not ${JSON.stringify(text)}`);
  }
  return prefixes;
}

/** One `--mount prefix=mode` flag as a session mount; throws `INVALID_ARGUMENT` naming the flag when malformed. */
export function parseMount(text: string): NonNullable<SessionConfig['mounts']>[number] {
  const at = text.lastIndexOf('=');
  const prefix = text.slice(0, Math.max(at, 0));
  const mode = text.slice(at + 1);
  if (at < 0 || (mode !== 'read-write' && mode !== 'read-only' && mode !== 'authoritative')) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}--mount must be prefix=mode with mode read-write, read-only or authoritative (scene.camera=authoritative), not ${JSON.stringify(text)}`);
  }
  return { prefix, mode };
}

/**
 * The `--nats <url>` flags into `config` (a node config being built from flags): the NATS servers, over the
 * config file's `nats` settings; a node that neither listens nor dials (nor names a transport) then speaks NATS
 * only, one that does becomes a gateway between its mesh and NATS (a `nats` bridge).
 */
export function applyNatsFlag(config: Record<string, unknown>, servers: readonly string[] | undefined): void {
  if (servers === undefined || servers.length === 0) return;
  config['nats'] = { ...(config['nats'] as object | undefined), servers: [...servers] };
  const seeds = config['seeds'] as readonly string[] | undefined;
  const mesh = config['listen'] !== undefined || (seeds !== undefined && seeds.length > 0);
  if (config['transport'] === undefined && !mesh) config['transport'] = 'nats';
  else if (config['transport'] !== 'nats') {
    const bridges = (config['bridges'] as readonly { transport: string }[] | undefined) ?? [];
    if (!bridges.some((bridge) => bridge.transport === 'nats')) config['bridges'] = [...bridges, { transport: 'nats' }];
  }
}

/** Validates a node config (the session part by `resolveConfig`); throws `INVALID_CONFIG` naming the field. */
export function resolveNodeConfig(config: NodeConfig): ResolvedNodeConfig {
  const { admin, http, web, allowedHosts, ...session } = config;
  resolveConfig(session);
  if (allowedHosts !== undefined && (!Array.isArray(allowedHosts) || !allowedHosts.every((name) => typeof name === 'string' && /^[A-Za-z0-9.-]+$/.test(name)))) {
    fail('allowedHosts', 'must be a list of host names such as ["statemesh.internal"]');
  }
  return { session, admin: resolveAdmin(admin), http: resolveHttp(http), web: resolveWeb(web), allowedHosts: allowedHosts ?? [] };
}

/** Splits `host:port` (IPv6 hosts in brackets); throws `INVALID_CONFIG` naming `field`. */
export function parseHostPort(text: string, field: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port > 65_535) fail(field, `must be host:port such as 127.0.0.1:7700, not ${JSON.stringify(text)}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function resolveAdmin(admin: NodeConfig['admin']): ResolvedNodeConfig['admin'] {
  if (admin === false) return undefined;
  if (admin !== undefined && (typeof admin !== 'object' || admin === null)) fail('admin', 'must be an object { listen, token } or false');
  const known = ['listen', 'token', 'tokenFile', 'maxValueBytes'];
  for (const [field, value] of Object.entries(admin ?? {})) if (!known.includes(field) && value !== undefined) fail(`admin.${field}`, `is not a known option (${known.join(', ')})`);
  const listen = admin?.listen ?? DEFAULT_ADMIN_LISTEN;
  if (typeof listen !== 'string') fail('admin.listen', 'must be a host:port string');
  if (admin?.token !== undefined && admin.tokenFile !== undefined) fail('admin.tokenFile', 'and admin.token are two tokens: give one');
  if (admin?.tokenFile !== undefined && typeof admin.tokenFile !== 'string') fail('admin.tokenFile', 'must be the path of a file');
  const token = admin?.tokenFile === undefined ? admin?.token : readTokenFile(admin.tokenFile);
  if (token !== undefined && (typeof token !== 'string' || token.length < 8)) fail(admin?.tokenFile === undefined ? 'admin.token' : 'admin.tokenFile', 'must be a token of at least 8 characters');
  const max = admin?.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  if (!Number.isSafeInteger(max) || max < 1) fail('admin.maxValueBytes', `must be a whole number of bytes ≥ 1, not ${JSON.stringify(max)}`);
  return { ...parseHostPort(listen, 'admin.listen'), token, maxValueBytes: max };
}

function resolveHttp(http: NodeConfig['http']): ResolvedNodeConfig['http'] {
  if (http === undefined) return undefined;
  if (typeof http !== 'object' || http === null) fail('http', 'must be an object { port, host }');
  for (const field of Object.keys(http)) if (field !== 'port' && field !== 'host') fail(`http.${field}`, 'is not a known option (port, host)');
  if (!Number.isInteger(http.port) || http.port < 0 || http.port > 65_535) fail('http.port', `must be a port number 0-65535, not ${JSON.stringify(http.port)}`);
  const host = http.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') fail('http.host', 'must be a host name or address');
  return { host, port: http.port };
}

function resolveWeb(web: NodeConfig['web']): ResolvedNodeConfig['web'] {
  if (web === undefined) return undefined;
  if (typeof web !== 'object' || web === null) fail('web', 'must be an object { listen, tokenFile, insecure, volume }');
  const known = ['listen', 'token', 'tokenFile', 'insecure', 'volume', 'scene'];
  for (const [field, value] of Object.entries(web)) if (!known.includes(field) && value !== undefined) fail(`web.${field}`, `is not a known option (${known.join(', ')})`);
  if (typeof web.listen !== 'string') fail('web.listen', 'must be a host:port string such as 127.0.0.1:8080');
  if (web.token !== undefined && web.tokenFile !== undefined) fail('web.tokenFile', 'and web.token are two tokens: give one');
  const token = web.tokenFile === undefined ? web.token : readTokenFile(web.tokenFile);
  if (token !== undefined && (typeof token !== 'string' || token.length < 8)) fail(web.tokenFile === undefined ? 'web.token' : 'web.tokenFile', 'must be a token of at least 8 characters');
  if (web.insecure !== undefined && typeof web.insecure !== 'boolean') fail('web.insecure', 'must be true or false');
  for (const field of ['volume', 'scene'] as const) {
    if (web[field] !== undefined && (typeof web[field] !== 'string' || web[field] === '')) fail(`web.${field}`, 'must be a tree path');
  }
  return { ...parseHostPort(web.listen, 'web.listen'), token, insecure: web.insecure === true, volume: web.volume, scene: web.scene };
}

function fail(field: string, problem: string): never {
  throw new StatemeshError('INVALID_CONFIG', `${PREFIX}config.${field} ${problem}`, { details: { field } });
}
