import { readFileSync } from 'node:fs';
import { StatemeshError, resolveConfig, type SessionConfig } from '@statemesh/session';

/** Where the authenticated admin API listens, and its bearer token. */
export interface AdminConfig {
  /** `host:port` (default `127.0.0.1:7700`; port 0 picks a free port). */
  readonly listen?: string | undefined;
  /** Clients must send `authorization: Bearer <token>`. */
  readonly token?: string | undefined;
}

/** The read-only HTTP endpoint: health, status, Prometheus metrics, dashboard. Off unless configured. */
export interface HttpConfig {
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined;
}

/** A node's config file: the session config (DESIGN.md section 6) plus `admin` and `http`. */
export interface NodeConfig extends SessionConfig {
  /** The admin API (default on, `127.0.0.1:7700`); `false` turns it off. */
  readonly admin?: AdminConfig | false | undefined;
  readonly http?: HttpConfig | undefined;
}

/** A node config with the admin and HTTP parts resolved. */
export interface ResolvedNodeConfig {
  readonly session: SessionConfig;
  readonly admin: { readonly host: string; readonly port: number; readonly token: string | undefined } | undefined;
  readonly http: { readonly host: string; readonly port: number } | undefined;
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

/** Validates a node config (the session part by `resolveConfig`); throws `INVALID_CONFIG` naming the field. */
export function resolveNodeConfig(config: NodeConfig): ResolvedNodeConfig {
  const { admin, http, ...session } = config;
  resolveConfig(session);
  return { session, admin: resolveAdmin(admin), http: resolveHttp(http) };
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
  for (const field of Object.keys(admin ?? {})) if (field !== 'listen' && field !== 'token') fail(`admin.${field}`, 'is not a known option (listen, token)');
  const listen = admin?.listen ?? DEFAULT_ADMIN_LISTEN;
  if (typeof listen !== 'string') fail('admin.listen', 'must be a host:port string');
  const token = admin?.token;
  if (token !== undefined && (typeof token !== 'string' || token.length < 8)) fail('admin.token', 'must be a string of at least 8 characters');
  return { ...parseHostPort(listen, 'admin.listen'), token };
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

function fail(field: string, problem: string): never {
  throw new StatemeshError('INVALID_CONFIG', `${PREFIX}config.${field} ${problem}`, { details: { field } });
}
