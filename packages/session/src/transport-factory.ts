import { StatemeshError, type CodecRegistry, type Transport } from '@statemesh/contracts';
import { IpcTransport } from '@statemesh/transport-ipc';
import type { ResolvedConfig } from './config.js';

/** Builds the transport a config asks for; not started. */
export function createTransport(config: ResolvedConfig, registry: CodecRegistry): Transport {
  switch (config.transport) {
    case 'memory':
      return config.network!.createTransport({
        nodeId: config.nodeId,
        clusterId: config.clusterId,
        seeds: config.seeds,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
      });
    case 'ipc':
      return new IpcTransport({
        nodeId: config.nodeId,
        clusterId: config.clusterId,
        listen: config.listen,
        seeds: config.seeds,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        registry,
      });
    case 'grpc':
      throw new StatemeshError(
        'INVALID_CONFIG',
        "@statemesh/session: config.transport 'grpc' is not available in this version; use 'ipc' or 'memory'",
        { details: { field: 'transport' } },
      );
  }
}
