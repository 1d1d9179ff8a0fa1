import { StatemeshError, type CodecRegistry, type Dialer, type Listener, type Timers, type Transport } from '@statemesh/contracts';
import { ProtocolTransport } from '@statemesh/protocol';
import { CompositeTransport } from './composite-transport.js';
import type { ResolvedConfig } from './config.js';

/** One transport of the config: the main one or a bridge. */
interface Endpoint {
  readonly kind: 'ipc' | 'grpc';
  readonly listen: string | undefined;
  readonly seeds: readonly string[];
}

/** What the session needs of a transport package that is a link factory. */
interface LinkFactory {
  listener(address: string): Listener;
  dialer(address: string): Dialer;
}

/**
 * Builds the ONE protocol engine a config asks for: its listeners and dialers come from the main transport and
 * every bridge, so a peer reachable over two of them is one peer. Transport packages load only when the config
 * uses them, with an error naming the package to install when it is missing. Not started.
 */
export async function createTransport(config: ResolvedConfig, registry: CodecRegistry, log: (line: string) => void, timers?: Timers): Promise<Transport> {
  const common = { nodeId: config.nodeId, clusterId: config.clusterId, heartbeatIntervalMs: config.heartbeatIntervalMs };
  if (config.transport === 'memory') return config.network!.createTransport({ ...common, seeds: config.seeds });
  const endpoints: Endpoint[] = [
    { kind: config.transport, listen: config.listen, seeds: config.seeds },
    ...config.bridges.map((b) => ({ kind: b.transport, listen: b.listen, seeds: b.seeds ?? [] })),
  ];
  const onError = (error: Error): void => log(error.message);
  const listeners: Listener[] = [];
  const dialers: Dialer[] = [];
  for (const endpoint of endpoints) {
    const factory = await linkFactory(endpoint.kind, config);
    if (factory === undefined) return legacyGrpc(config, endpoints, registry, onError);
    if (endpoint.listen !== undefined) listeners.push(factory.listener(endpoint.listen));
    for (const seed of endpoint.seeds) dialers.push(factory.dialer(seed));
  }
  return new ProtocolTransport({ ...common, listeners, dialers, registry, onError, timers });
}

async function linkFactory(kind: 'ipc' | 'grpc', config: ResolvedConfig): Promise<LinkFactory | undefined> {
  if (kind === 'ipc') {
    const ipc = await load<typeof import('@statemesh/transport-ipc')>('@statemesh/transport-ipc', () => import('@statemesh/transport-ipc'));
    return { listener: (address) => ipc.ipcListener(address), dialer: (address) => ipc.ipcDialer(address) };
  }
  const grpc = (await load('@statemesh/transport-grpc', () => import('@statemesh/transport-grpc'))) as Record<string, unknown>;
  const options = { tls: config.tls, requireTls: config.requireTls, auth: config.auth };
  const { grpcListener, grpcDialer } = grpc as { grpcListener?: (address: string, o: unknown) => Listener; grpcDialer?: (address: string, o: unknown) => Dialer };
  if (typeof grpcListener !== 'function' || typeof grpcDialer !== 'function') return undefined;
  return { listener: (address) => grpcListener(address, options), dialer: (address) => grpcDialer(address, options) };
}

/**
 * Until `@statemesh/transport-grpc` is a link factory: its own transport, bridged to the IPC engine through a
 * composite (a peer reachable both ways is then seen twice). Goes away with the gRPC links.
 */
async function legacyGrpc(config: ResolvedConfig, endpoints: readonly Endpoint[], registry: CodecRegistry, onError: (error: Error) => void): Promise<Transport> {
  const grpc = await import('@statemesh/transport-grpc');
  const ipc = await import('@statemesh/transport-ipc');
  const common = { nodeId: config.nodeId, clusterId: config.clusterId, heartbeatIntervalMs: config.heartbeatIntervalMs, registry, onError };
  const parts = endpoints.map((e) =>
    e.kind === 'grpc'
      ? new grpc.GrpcTransport({ ...common, listen: e.listen, seeds: e.seeds, tls: config.tls, requireTls: config.requireTls, auth: config.auth })
      : ipc.ipcTransport({ ...common, listen: e.listen, seeds: e.seeds }),
  );
  return parts.length === 1 ? parts[0]! : new CompositeTransport(parts);
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
