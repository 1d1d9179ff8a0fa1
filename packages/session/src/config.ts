import { StatemeshError, assertId, isValidPath, type TlsOptions } from '@statemesh/contracts';
import type { HashPartition } from '@statemesh/hash-ring';
import type { Mount, MountMode } from '@statemesh/shard';
import type { MemoryNetwork } from '@statemesh/transport-memory';
import type { NatsCredentials, NatsStreamOptions } from '@statemesh/transport-nats';

/** Which transport a session speaks. */
export type TransportKind = 'memory' | 'ipc' | 'grpc' | 'nats';

/** Which large values a node fetches as soon as they arrive: all, none, or those under the given prefixes. */
export type HydratePolicy = 'eager' | 'lazy' | readonly string[];

/** A further transport a node speaks besides its main one, e.g. gRPC to other machines beside IPC on its own. */
export interface BridgeConfig {
  /** `nats` joins the NATS medium of `config.nats` beside the main transport (a site gateway). */
  readonly transport: 'ipc' | 'grpc' | 'nats';
  readonly listen?: string | undefined;
  readonly seeds?: readonly string[] | undefined;
}

/** The NATS medium (`transport: 'nats'`, or a bridge to it): `@statemesh/transport-nats`, loaded only then. */
export interface NatsConfig {
  /** NATS server URLs, e.g. `['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']`. */
  readonly servers: readonly string[];
  /** The JetStream log a starting node reads (retention and limits); `false`: none. */
  readonly stream?: NatsStreamOptions | false | undefined;
  /** user/pass, token, nkey seed, creds, TLS: passed to the NATS client as they are. */
  readonly credentials?: NatsCredentials | undefined;
  /** First token of every subject (default `statemesh`). */
  readonly subjectPrefix?: string | undefined;
}

/** Bearer tokens for the gRPC transport. */
export interface AuthConfig {
  /** Refuse peers that do not present this token. */
  readonly expectedToken?: string | undefined;
  /** The token this node presents when it dials a peer. */
  readonly outboundToken?: string | undefined;
}

/** What `join()` accepts: DESIGN.md section 6. */
export interface SessionConfig {
  readonly clusterId: string;
  readonly nodeId: string;
  /** Default `memory` when a `network` is given, `ipc` otherwise. */
  readonly transport?: TransportKind | undefined;
  /** Where to listen: a Unix socket path or `tcp://127.0.0.1:port` (ipc), `host:port` (grpc). */
  readonly listen?: string | undefined;
  /** Peers to connect to: addresses for ipc/grpc, node ids for memory. */
  readonly seeds?: readonly string[] | undefined;
  /** Further transports this node also speaks (TLS and tokens of this config apply to gRPC ones). */
  readonly bridges?: readonly BridgeConfig[] | undefined;
  /**
   * Lets an IPC listener on loopback TCP start without `auth.expectedToken` (any user of the machine could then
   * link and write as any node). Default false: such a listener refuses to start with `INVALID_CONFIG`.
   */
  readonly insecure?: boolean | undefined;
  /** Prefixes this node replicates; empty means everything. */
  readonly interests?: readonly string[] | undefined;
  /**
   * Authority per subtree (DESIGN section 5): `read-only` refuses this node's writes there (`READ_ONLY`),
   * `authoritative` refuses other nodes' writes there (counted in `metrics().remote.rejected`, never claimed by the
   * vector). The most specific prefix applies; default `read-write` everywhere.
   */
  readonly mounts?: readonly Mount[] | undefined;
  /** Resolve concurrent writes by last-writer-wins and record conflicts (default true). */
  readonly resolveConflicts?: boolean | undefined;
  /** Accept remote writes only for paths `partition` assigns to this node (default false). */
  readonly enforcePartition?: boolean | undefined;
  readonly partition?: HashPartition | undefined;
  readonly tls?: TlsOptions | undefined;
  /** Refuse to start or dial without TLS (default false). */
  readonly requireTls?: boolean | undefined;
  readonly auth?: AuthConfig | undefined;
  /** Values longer than this go to the blob store as chunks (default 65 536). */
  readonly maxInlinePayloadBytes?: number | undefined;
  /** Codec for the chunks of large values: `zstd` (default), `rle` or `raw`. */
  readonly blobCodec?: 'zstd' | 'rle' | 'raw' | undefined;
  /** Keep blobs in this folder (survives restarts); absent: in memory, or `<dataDir>/blobs` with a `dataDir`. */
  readonly blobStorePath?: string | undefined;
  /**
   * Keep the replica on disk in this folder (DESIGN section 8): `join()` recovers the tree, tombstones, vector and
   * sequence from it before joining (a restart needs no peer), and every applied write is appended to its log.
   */
  readonly dataDir?: string | undefined;
  /**
   * With a `dataDir`, when a write counts as on disk: `batched` (default: one fdatasync for every write of a
   * tick), `sync` (one per record) or `none` (handed to the operating system: survives a killed process only).
   */
  readonly durability?: 'none' | 'batched' | 'sync' | undefined;
  /**
   * Which large values (those that arrive as blob references) are fetched as soon as they arrive: `eager`
   * (default: all), `lazy` (none: fetched by `fetch(path)`, `waitForData` or a `VolumeView`), or a list of path
   * prefixes fetched eagerly (the rest lazily).
   */
  readonly hydrate?: HydratePolicy | undefined;
  /** Catch up from each peer as it comes up, by version vector (default true). */
  readonly snapshotOnJoin?: boolean | undefined;
  /** How often pending local writes are published when not flushed at once (default 10). */
  readonly pumpIntervalMs?: number | undefined;
  readonly heartbeatIntervalMs?: number | undefined;
  /** How often metrics are written under `__system.distributed.<cluster>` (default 1000). */
  readonly metricsIntervalMs?: number | undefined;
  /**
   * How often the node also catches up from one up peer, by version vector, to recover writes a lost frame
   * carried (default 5000; the catch-up sends only what is missing, so an up-to-date node costs little).
   */
  readonly antiEntropyIntervalMs?: number | undefined;
  /** A catch-up whose next page does not arrive within this time is abandoned and retried later (default 30 000). */
  readonly catchUpPageTimeoutMs?: number | undefined;
  /** How long `join()` waits for the first catch-up from seeds before resolving (default 5000). */
  readonly joinTimeoutMs?: number | undefined;
  /**
   * `join()` rejects with `NO_PEERS` unless this many peers are up within `joinTimeoutMs` (default 0: it resolves
   * with whatever is up, and warns when no seed answered).
   */
  readonly requirePeers?: number | undefined;
  /** For `transport: 'memory'`: the in-process network to join. */
  readonly network?: MemoryNetwork | undefined;
  /** For `transport: 'nats'` or a `nats` bridge: the servers and the stream. */
  readonly nats?: NatsConfig | undefined;
}

/** A config with every default filled in. */
export interface ResolvedConfig {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly transport: TransportKind;
  readonly listen: string | undefined;
  readonly seeds: readonly string[];
  readonly bridges: readonly BridgeConfig[];
  readonly interests: readonly string[];
  readonly mounts: readonly Mount[];
  readonly resolveConflicts: boolean;
  readonly enforcePartition: boolean;
  readonly partition: HashPartition | undefined;
  readonly tls: TlsOptions | undefined;
  readonly requireTls: boolean;
  readonly auth: AuthConfig | undefined;
  readonly insecure: boolean;
  readonly maxInlinePayloadBytes: number;
  readonly blobCodec: 'zstd' | 'rle' | 'raw';
  readonly blobStorePath: string | undefined;
  readonly dataDir: string | undefined;
  readonly durability: 'none' | 'batched' | 'sync';
  readonly hydrate: HydratePolicy;
  readonly snapshotOnJoin: boolean;
  readonly pumpIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly metricsIntervalMs: number;
  readonly antiEntropyIntervalMs: number;
  readonly catchUpPageTimeoutMs: number;
  readonly joinTimeoutMs: number;
  readonly requirePeers: number;
  readonly network: MemoryNetwork | undefined;
  readonly nats: NatsConfig | undefined;
}

const KNOWN_FIELDS = new Set([
  'clusterId', 'nodeId', 'transport', 'listen', 'seeds', 'bridges', 'interests', 'mounts', 'resolveConflicts', 'enforcePartition',
  'partition', 'tls', 'requireTls', 'auth', 'insecure', 'maxInlinePayloadBytes', 'blobCodec', 'blobStorePath', 'dataDir', 'durability', 'hydrate', 'snapshotOnJoin',
  'pumpIntervalMs', 'heartbeatIntervalMs', 'metricsIntervalMs', 'antiEntropyIntervalMs', 'catchUpPageTimeoutMs', 'joinTimeoutMs', 'requirePeers', 'network', 'nats',
]);

/** Validates a config and fills in defaults; throws `INVALID_CONFIG` naming the field at fault. */
export function resolveConfig(config: SessionConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) fail('config', 'must be an object');
  for (const field of Object.keys(config)) if (!KNOWN_FIELDS.has(field)) fail(field, 'is not a known option (check its spelling)');
  const clusterId = id(config.clusterId, 'clusterId');
  const nodeId = id(config.nodeId, 'nodeId');
  const transport = config.transport ?? (config.network === undefined ? 'ipc' : 'memory');
  if (!['memory', 'ipc', 'grpc', 'nats'].includes(transport)) fail('transport', `must be 'memory', 'ipc', 'grpc' or 'nats', not ${JSON.stringify(transport)}`);
  if (transport === 'memory' && config.network === undefined) fail('network', "is required with transport 'memory' (new MemoryNetwork())");
  const seeds = stringList(config.seeds, 'seeds');
  const interests = stringList(config.interests, 'interests');
  for (const prefix of interests) if (!isValidPath(prefix)) fail('interests', `holds ${JSON.stringify(prefix)}, which is not a valid path prefix`);
  if (config.listen !== undefined && (typeof config.listen !== 'string' || config.listen === '')) fail('listen', 'must be a non-empty address string');
  if (transport !== 'memory' && transport !== 'nats' && config.listen === undefined && seeds.length === 0) {
    fail('listen', 'or seeds must be given: a node that neither listens nor dials cannot replicate');
  }
  const enforcePartition = bool(config.enforcePartition, 'enforcePartition', false);
  if (enforcePartition && config.partition === undefined) fail('partition', 'is required when enforcePartition is true');
  const requireTls = bool(config.requireTls, 'requireTls', false);
  const bridges = bridgeList(config.bridges);
  if (requireTls && transport !== 'grpc' && !bridges.some((b) => b.transport === 'grpc')) {
    fail('requireTls', `needs transport 'grpc' (TLS is a gRPC feature; ${transport} stays on this machine)`);
  }
  if (requireTls && (config.tls?.cert === undefined || config.tls.key === undefined) && config.listen !== undefined) {
    fail('tls', 'needs cert and key because requireTls is true');
  }
  const nats = natsConfig(config.nats, transport === 'nats' || bridges.some((b) => b.transport === 'nats'));
  const joinTimeoutMs = count(config.joinTimeoutMs, 'joinTimeoutMs', 5000, 0);
  const requirePeers = count(config.requirePeers, 'requirePeers', 0, 0);
  if (requirePeers > 0 && joinTimeoutMs === 0) fail('requirePeers', 'needs joinTimeoutMs > 0: it is how long join() waits for the peers');
  const dataDir = config.dataDir === undefined ? undefined : nonEmpty(config.dataDir, 'dataDir');
  if (config.durability !== undefined && dataDir === undefined) fail('durability', 'needs a dataDir: without one nothing is written to disk');
  const blobStorePath = config.blobStorePath === undefined ? (dataDir === undefined ? undefined : `${dataDir.replace(/[/\\]+$/, '')}/blobs`) : nonEmpty(config.blobStorePath, 'blobStorePath');
  return {
    clusterId,
    nodeId,
    transport,
    listen: config.listen,
    seeds,
    bridges,
    interests,
    mounts: mountList(config.mounts),
    resolveConflicts: bool(config.resolveConflicts, 'resolveConflicts', true),
    enforcePartition,
    partition: config.partition,
    tls: config.tls,
    requireTls,
    auth: config.auth,
    insecure: bool(config.insecure, 'insecure', false),
    maxInlinePayloadBytes: count(config.maxInlinePayloadBytes, 'maxInlinePayloadBytes', 65_536, 1),
    blobCodec: oneOf(config.blobCodec, 'blobCodec', ['zstd', 'rle', 'raw'] as const, 'zstd'),
    blobStorePath,
    dataDir,
    durability: oneOf(config.durability, 'durability', ['none', 'batched', 'sync'] as const, 'batched'),
    hydrate: hydratePolicy(config.hydrate),
    snapshotOnJoin: bool(config.snapshotOnJoin, 'snapshotOnJoin', true),
    pumpIntervalMs: count(config.pumpIntervalMs, 'pumpIntervalMs', 10, 1),
    heartbeatIntervalMs: count(config.heartbeatIntervalMs, 'heartbeatIntervalMs', 1000, 1),
    metricsIntervalMs: count(config.metricsIntervalMs, 'metricsIntervalMs', 1000, 1),
    antiEntropyIntervalMs: count(config.antiEntropyIntervalMs, 'antiEntropyIntervalMs', 5000, 1),
    catchUpPageTimeoutMs: count(config.catchUpPageTimeoutMs, 'catchUpPageTimeoutMs', 30_000, 1),
    joinTimeoutMs,
    requirePeers,
    network: config.network,
    nats,
  };
}

function fail(field: string, problem: string): never {
  throw new StatemeshError('INVALID_CONFIG', `@statemesh/session: config.${field} ${problem}`, { details: { field } });
}

function id(value: unknown, field: string): string {
  try {
    return assertId(value, field);
  } catch {
    return fail(field, `must be 1-64 characters of [A-Za-z0-9_-], not ${JSON.stringify(value)}`);
  }
}

function bool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(field, `must be true or false, not ${JSON.stringify(value)}`);
  return value;
}

function count(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(field, `must be an integer ≥ ${min}, not ${JSON.stringify(value)}`);
  return value;
}

function bridgeList(value: unknown): readonly BridgeConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail('bridges', 'must be an array of { transport, listen?, seeds? }');
  return value.map((bridge: unknown, i: number) => {
    const b = bridge as BridgeConfig;
    if (typeof b !== 'object' || b === null || !['ipc', 'grpc', 'nats'].includes(b.transport)) fail(`bridges[${i}].transport`, "must be 'ipc', 'grpc' or 'nats'");
    if (b.transport === 'nats') return { transport: b.transport, listen: undefined, seeds: [] };
    if (b.listen !== undefined && (typeof b.listen !== 'string' || b.listen === '')) fail(`bridges[${i}].listen`, 'must be a non-empty address string');
    const seeds = stringList(b.seeds, `bridges[${i}].seeds`);
    if (b.listen === undefined && seeds.length === 0) fail(`bridges[${i}]`, 'needs listen or seeds');
    return { transport: b.transport, listen: b.listen, seeds };
  });
}

function natsConfig(value: unknown, used: boolean): NatsConfig | undefined {
  if (value === undefined) {
    if (used) fail('nats', "is required with transport 'nats' (or a nats bridge): { servers: ['nats://host:4222'] }");
    return undefined;
  }
  if (typeof value !== 'object' || value === null) fail('nats', 'must be an object { servers, stream?, credentials?, subjectPrefix? }');
  const n = value as NatsConfig;
  for (const field of Object.keys(n)) if (!['servers', 'stream', 'credentials', 'subjectPrefix'].includes(field)) fail(`nats.${field}`, 'is not a known option (servers, stream, credentials, subjectPrefix)');
  if (stringList(n.servers, 'nats.servers').length === 0) fail('nats.servers', "must list at least one server, e.g. ['nats://127.0.0.1:4222']");
  return n;
}

const MOUNT_MODES: readonly MountMode[] = ['read-write', 'read-only', 'authoritative'];

function mountList(value: unknown): readonly Mount[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail('mounts', 'must be an array of { prefix, mode }');
  const seen = new Set<string>();
  return value.map((mount: unknown, i: number) => {
    const m = mount as Mount;
    if (typeof m !== 'object' || m === null) fail(`mounts[${i}]`, 'must be an object { prefix, mode }');
    for (const field of Object.keys(m)) if (field !== 'prefix' && field !== 'mode') fail(`mounts[${i}].${field}`, 'is not a known option (prefix, mode)');
    if (typeof m.prefix !== 'string' || !isValidPath(m.prefix)) {
      fail(`mounts[${i}].prefix`, `must be a path prefix of dot-separated [A-Za-z0-9_-] segments ('' for the whole tree), not ${JSON.stringify(m.prefix)}`);
    }
    if (!MOUNT_MODES.includes(m.mode)) fail(`mounts[${i}].mode`, `must be one of ${MOUNT_MODES.map((mode) => `'${mode}'`).join(', ')}, not ${JSON.stringify(m.mode)}`);
    if (seen.has(m.prefix)) fail(`mounts[${i}].prefix`, `repeats ${JSON.stringify(m.prefix)}: give each subtree one mode`);
    seen.add(m.prefix);
    return { prefix: m.prefix, mode: m.mode };
  });
}

function hydratePolicy(value: unknown): HydratePolicy {
  if (value === undefined || value === 'eager' || value === 'lazy') return value ?? 'eager';
  if (!Array.isArray(value)) fail('hydrate', `must be 'eager', 'lazy' or an array of path prefixes, not ${JSON.stringify(value)}`);
  const prefixes = stringList(value, 'hydrate');
  for (const prefix of prefixes) if (!isValidPath(prefix)) fail('hydrate', `holds ${JSON.stringify(prefix)}, which is not a valid path prefix`);
  return prefixes;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) fail(field, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, not ${JSON.stringify(value)}`);
  return value as T;
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') fail(field, 'must be a non-empty string');
  return value;
}

function stringList(value: unknown, field: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) fail(field, 'must be an array of strings');
  return value as string[];
}
