import { StatemeshError, type Dialer, type Listener, type Timers, type Transport } from '@statemesh/contracts';
import { ProtocolTransport, TransportUnion } from '@statemesh/protocol';
import type { ResolvedConfig } from './config.js';
import { readLogCursor } from './log-cursor.js';

/** One transport of the config: the main one or a bridge. */
interface Endpoint {
  readonly kind: 'ipc' | 'grpc' | 'nats';
  readonly listen: string | undefined;
  readonly seeds: readonly string[];
}

/** What the session needs of a transport package that is a link factory. */
interface LinkFactory {
  listener(address: string): Listener;
  dialer(address: string): Dialer;
}

/**
 * The transport a config asks for and, on NATS with a log and a `dataDir`, its log: the stream, the cursor kept
 * there at start, and where the transport has handed the log to the session up to now (it follows the live path).
 */
export interface CreatedTransport {
  readonly transport: Transport;
  readonly natsLog?: { readonly stream: string; readonly kept: number; cursor(): number } | undefined;
}

/**
 * Builds the ONE protocol engine a config asks for: its listeners and dialers come from the main transport and
 * every bridge, so a peer reachable over two of them is one peer. Transport packages load only when the config
 * uses them, with an error naming the package to install when it is missing. Not started. With a `dataDir`, the NATS medium reads its log after the cursor
 * kept there (log-cursor.ts) and follows the log after start, so that the cursor moves with the live batches.
 */
export async function createTransport(config: ResolvedConfig, log: (line: string) => void, timers?: Timers, extraListeners: readonly Listener[] = []): Promise<CreatedTransport> {
  const common = { nodeId: config.nodeId, clusterId: config.clusterId, heartbeatIntervalMs: config.heartbeatIntervalMs };
  const onError = (error: Error): void => log(error.message);
  if (config.transport === 'memory' && extraListeners.length > 0) {
    throw new StatemeshError('INVALID_CONFIG', '@statemesh/session: options.listeners need a real transport (ipc or grpc), not memory', { details: { field: 'transport' } });
  }
  if (config.transport === 'memory') return { transport: config.network!.createTransport({ ...common, seeds: config.seeds, onError, ...(timers === undefined ? {} : { timers }) }) };
  const endpoints: Endpoint[] = [
    { kind: config.transport, listen: config.listen, seeds: config.seeds },
    ...config.bridges.map((b) => ({ kind: b.transport, listen: b.listen, seeds: b.seeds ?? [] })),
  ];
  const listeners: Listener[] = [...extraListeners];
  const dialers: Dialer[] = [];
  const nats = endpoints.some((endpoint) => endpoint.kind === 'nats') ? await natsTransport(config, onError, timers) : undefined;
  for (const endpoint of endpoints) {
    if (endpoint.kind === 'nats') continue;
    const factory = await linkFactory(endpoint.kind, config, onError);
    if (endpoint.listen !== undefined) listeners.push(factory.listener(endpoint.listen));
    if (endpoint.kind === 'ipc' && endpoint.listen?.startsWith('tcp://') === true && config.auth?.expectedToken === undefined) {
      log(`@statemesh/session: the IPC listener ${endpoint.listen} takes links from any local user (config.insecure); set auth.expectedToken (and outboundToken on its peers), or listen on a Unix socket (owner-only)`);
    }
    for (const seed of endpoint.seeds) dialers.push(factory.dialer(seed));
  }
  // Each link has its own frame limit (gRPC's 4 MiB messages), by which the engine splits what it sends on it;
  // listeners' refused tokens are counted in the engine's stats.
  const engine = new ProtocolTransport({ ...common, listeners, dialers, onError, timers });
  if (nats === undefined) return { transport: engine };
  // NATS is a broadcast medium, not a link: beside the engine's links (a site gateway), or alone.
  return { transport: listeners.length + dialers.length === 0 ? nats.transport : new TransportUnion([engine, nats.transport]), natsLog: nats.log };
}

async function natsTransport(config: ResolvedConfig, onError: (error: Error) => void, timers: Timers | undefined): Promise<{ transport: Transport; log: CreatedTransport['natsLog'] }> {
  const nats = await load<typeof import('@statemesh/transport-nats')>('@statemesh/transport-nats', () => import('@statemesh/transport-nats'));
  const n = config.nats!;
  const stream = nats.logStreamName({ clusterId: config.clusterId, subjectPrefix: n.subjectPrefix, stream: n.stream });
  const dataDir = config.dataDir;
  const logCursor = stream === undefined || dataDir === undefined ? 0 : readLogCursor(dataDir, stream);
  const transport = new nats.NatsTransport({
    nodeId: config.nodeId,
    clusterId: config.clusterId,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    servers: n.servers,
    stream: n.stream,
    credentials: n.credentials,
    subjectPrefix: n.subjectPrefix,
    logCursor,
    followLog: stream !== undefined && dataDir !== undefined,
    onError,
    ...(timers === undefined ? {} : { timers }),
  });
  return { transport, log: stream === undefined || dataDir === undefined ? undefined : { stream, kept: logCursor, cursor: () => transport.logCursor } };
}

async function linkFactory(kind: 'ipc' | 'grpc' | 'nats', config: ResolvedConfig, onError: (error: Error) => void): Promise<LinkFactory> {
  if (kind === 'ipc') {
    const ipc = await load<typeof import('@statemesh/transport-ipc')>('@statemesh/transport-ipc', () => import('@statemesh/transport-ipc'));
    // IPC over TCP takes the token (DESIGN section 7); Unix sockets are owner-only files instead.
    return {
      // Without a token, a TCP listener refuses to start unless config.insecure says otherwise.
      listener: (address) => ipc.ipcListener(address, { token: config.auth?.expectedToken, insecure: config.insecure }),
      dialer: (address) => ipc.ipcDialer(address, { token: config.auth?.outboundToken }),
    };
  }
  const grpc = await load<typeof import('@statemesh/transport-grpc')>('@statemesh/transport-grpc', () => import('@statemesh/transport-grpc'));
  const options = { tls: config.tls, requireTls: config.requireTls, auth: config.auth };
  return { listener: (address) => grpc.grpcListener(address, { ...options, onError }), dialer: (address) => grpc.grpcDialer(address, options) };
}

async function load<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new StatemeshError('INVALID_CONFIG', `@statemesh/session: the config uses ${name}, which is not installed; install it (npm install ${name})`, { cause: error });
    }
    throw error;
  }
}
