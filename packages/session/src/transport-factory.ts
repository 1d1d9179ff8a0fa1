import type { CodecRegistry, Transport } from '@statemesh/contracts';
import { GrpcTransport } from '@statemesh/transport-grpc';
import { IpcTransport } from '@statemesh/transport-ipc';
import { CompositeTransport } from './composite-transport.js';
import type { ResolvedConfig } from './config.js';

/** Builds the transport a config asks for (several, as one, when it has bridges); not started. */
export function createTransport(config: ResolvedConfig, registry: CodecRegistry, log: (line: string) => void): Transport {
  const main = createOne(config, config.transport, config.listen, config.seeds, registry, log);
  if (config.bridges.length === 0) return main;
  return new CompositeTransport([main, ...config.bridges.map((b) => createOne(config, b.transport, b.listen, b.seeds ?? [], registry, log))]);
}

function createOne(
  config: ResolvedConfig,
  kind: ResolvedConfig['transport'],
  listen: string | undefined,
  seeds: readonly string[],
  registry: CodecRegistry,
  log: (line: string) => void,
): Transport {
  const common = { nodeId: config.nodeId, clusterId: config.clusterId, heartbeatIntervalMs: config.heartbeatIntervalMs };
  const onError = (error: Error) => log(error.message);
  switch (kind) {
    case 'memory':
      return config.network!.createTransport({ ...common, seeds });
    case 'ipc':
      return new IpcTransport({ ...common, listen, seeds, registry, onError });
    case 'grpc':
      return new GrpcTransport({
        ...common,
        listen,
        seeds,
        registry,
        onError,
        tls: config.tls,
        requireTls: config.requireTls,
        auth: config.auth,
      });
  }
}
