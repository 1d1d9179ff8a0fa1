import { StatemeshError, assertId, type StatemeshError as StatemeshErrorType, type Timers } from '@statemesh/contracts';
import { realTimers } from '@statemesh/protocol';

/** The package name every message of this package starts with. */
export const PACKAGE = '@statemesh/transport-nats';

/** Credentials handed to the NATS client as they are (NATS checks them; subject permissions confine a node). */
export interface NatsCredentials {
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
  readonly token?: string | undefined;
  /** An nkey seed (`SU...`): the client signs the server's nonce with it. */
  readonly nkeySeed?: string | undefined;
  /** The contents of a `.creds` file (JWT and nkey seed), for an operator-mode server. */
  readonly creds?: string | undefined;
  /** TLS to the server: PEM contents or file names; `{}` alone asks for TLS with the system's roots. */
  readonly tls?: { readonly ca?: string; readonly caFile?: string; readonly cert?: string; readonly certFile?: string; readonly key?: string; readonly keyFile?: string } | undefined;
}

/** The JetStream stream that keeps the cluster's log of batches. */
export interface NatsStreamOptions {
  /** Stream name (default `statemesh-<cluster>`). */
  readonly name?: string | undefined;
  /** Create the stream when missing (default true); false: it must exist (an operator made it). */
  readonly create?: boolean | undefined;
  /** Limits, applied when this node creates the stream: oldest messages are dropped past them. */
  readonly maxMessages?: number | undefined;
  readonly maxBytes?: number | undefined;
  readonly maxAgeMs?: number | undefined;
  /** Copies of the stream in a NATS cluster (1-5, default 1). */
  readonly replicas?: number | undefined;
  /** `file` (default) or `memory`. */
  readonly storage?: 'file' | 'memory' | undefined;
}

/** Options of {@link NatsTransport}. */
export interface NatsTransportOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  /** NATS server URLs (`nats://host:4222`); the client fails over between them and those the cluster announces. */
  readonly servers: readonly string[];
  /** The JetStream log (default: on, with defaults); `false`: live fan-out and peer catch-up only. */
  readonly stream?: NatsStreamOptions | false | undefined;
  readonly credentials?: NatsCredentials | undefined;
  /**
   * The stream sequence this node had applied up to in an earlier run (its `logCursor`, kept with its durable
   * state): the log is read after it, not from the start (default 0). A cursor the stream has trimmed past reads
   * what is left; the rest comes from peer catch-up.
   */
  readonly logCursor?: number | undefined;
  /**
   * Keep {@link NatsTransport.logCursor} moving after start (default false): a headers-only consumer of the log
   * relates each live batch to its stream sequence, and reads from the log the batches missed live. For a host
   * that keeps the cursor (a session with a `dataDir`); it costs the headers of every batch of the cluster.
   */
  readonly followLog?: boolean | undefined;
  /**
   * Live batches held while the log is read at start, in mutations (default 100 000): past it they are dropped and
   * the log is read again from where the read reached (the stream has them).
   */
  readonly maxHeldMutations?: number | undefined;
  /** First token of every subject (default `statemesh`). */
  readonly subjectPrefix?: string | undefined;
  /** Heartbeats on the presence subject every this many ms (default 1000); silent 3: suspect, 5: down. */
  readonly heartbeatIntervalMs?: number | undefined;
  /**
   * Acknowledgements are published at most this often after batches arrive (default 50 ms; one more delay per 10
   * peers, since each one reaches every node), and with each heartbeat.
   */
  readonly ackDelayMs?: number | undefined;
  /** How long `start()` waits for the first connection (default 10 000 ms). */
  readonly connectTimeoutMs?: number | undefined;
  /** A snapshot or catch-up page not answered within this fails with `TIMEOUT` (default 30 000 ms). */
  readonly snapshotTimeoutMs?: number | undefined;
  readonly timers?: Timers | undefined;
  /** Every failure that is not thrown to a caller (default: one `console.warn` line). */
  readonly onError?: ((error: StatemeshErrorType) => void) | undefined;
}

/** The stream options with their defaults. */
export interface ResolvedStream {
  readonly name: string;
  readonly create: boolean;
  readonly replicas: number;
  readonly storage: 'file' | 'memory';
  readonly maxMessages: number | undefined;
  readonly maxBytes: number | undefined;
  readonly maxAgeMs: number | undefined;
}

/** Options with every default filled in. */
export interface ResolvedNatsOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly servers: readonly string[];
  readonly stream: ResolvedStream | undefined;
  readonly credentials: NatsCredentials;
  readonly logCursor: number;
  readonly followLog: boolean;
  readonly maxHeldMutations: number;
  readonly subjectPrefix: string;
  readonly heartbeatIntervalMs: number;
  readonly ackDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly snapshotTimeoutMs: number;
  readonly timers: Timers;
  readonly onError: (error: StatemeshErrorType) => void;
}

/** Validates `options`; throws `INVALID_ID` / `INVALID_CONFIG`. */
export function resolveNatsOptions(options: NatsTransportOptions): ResolvedNatsOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  const nodeId = assertId(options.nodeId, `${PACKAGE}: nodeId`);
  const clusterId = assertId(options.clusterId, `${PACKAGE}: clusterId`);
  const servers = options.servers;
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every((s) => typeof s === 'string' && s.length > 0)) {
    fail('servers', 'must be a non-empty array of NATS URLs such as nats://127.0.0.1:4222');
  }
  const subjectPrefix = options.subjectPrefix ?? 'statemesh';
  if (!/^[A-Za-z0-9_-]+$/.test(subjectPrefix)) fail('subjectPrefix', 'must be one subject token of [A-Za-z0-9_-]');
  const s = options.stream;
  let stream: ResolvedNatsOptions['stream'];
  if (s !== false) {
    const given = s ?? {};
    const replicas = given.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) fail('stream.replicas', 'must be an integer in 1-5');
    for (const key of ['maxMessages', 'maxBytes', 'maxAgeMs'] as const) {
      const value = given[key];
      if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) fail(`stream.${key}`, 'must be a positive integer');
    }
    const name = logStreamName({ clusterId, subjectPrefix, stream: given })!;
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(name)) fail('stream.name', 'must be 1-200 characters of [A-Za-z0-9_-]');
    if (given.storage !== undefined && given.storage !== 'file' && given.storage !== 'memory') fail('stream.storage', "must be 'file' or 'memory'");
    stream = { name, create: given.create ?? true, replicas, storage: given.storage ?? 'file', maxMessages: given.maxMessages, maxBytes: given.maxBytes, maxAgeMs: given.maxAgeMs };
  }
  return {
    nodeId,
    clusterId,
    servers: [...servers],
    stream,
    credentials: options.credentials ?? {},
    logCursor: count('logCursor', options.logCursor, 0, 0),
    followLog: flag('followLog', options.followLog),
    maxHeldMutations: count('maxHeldMutations', options.maxHeldMutations, 100_000, 1),
    subjectPrefix,
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 1_000),
    ackDelayMs: positive('ackDelayMs', options.ackDelayMs, 50),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    snapshotTimeoutMs: positive('snapshotTimeoutMs', options.snapshotTimeoutMs, 30_000),
    timers: options.timers ?? realTimers,
    onError: options.onError ?? ((error) => console.warn(error.message)),
  };
}

/** The name of the stream `options` read and write (undefined: `stream: false`); their cluster, prefix and stream. */
export function logStreamName(options: Pick<NatsTransportOptions, 'clusterId' | 'subjectPrefix' | 'stream'>): string | undefined {
  if (options.stream === false) return undefined;
  return options.stream?.name ?? `${options.subjectPrefix ?? 'statemesh'}-${options.clusterId}`;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) fail(name, 'must be a positive number');
  return value;
}

function flag(name: string, value: boolean | undefined): boolean {
  if (value !== undefined && typeof value !== 'boolean') fail(name, 'must be true or false');
  return value ?? false;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) fail(name, min === 0 ? 'must be a non-negative integer' : 'must be a positive integer');
  return value;
}

function fail(name: string, problem: string): never {
  throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: ${name} ${problem}`);
}
