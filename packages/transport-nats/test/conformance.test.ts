// The transport conformance suite of @statemesh/contracts over NATS (a medium, not an engine: the engine tests
// do not apply). One nats-server for the whole suite; no log (each test's nodes start from nothing).
import { runTransportConformance } from '@statemesh/contracts/testing';
import { NatsTransport } from '@statemesh/transport-nats';
import { startNatsServer, type NatsServer } from '@statemesh/transport-nats/testing';

let server: Promise<NatsServer> | undefined;

runTransportConformance({
  name: 'transport-nats',
  async create(nodeId, options) {
    server ??= startNatsServer({ jetstream: false });
    const { url } = await server;
    return new NatsTransport({
      nodeId,
      clusterId: options.clusterId ?? 'conformance',
      servers: [url],
      stream: false,
      onError: () => undefined,
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    });
  },
  async cleanup() {
    const started = server;
    server = undefined;
    await (await started)?.stop();
  },
});
