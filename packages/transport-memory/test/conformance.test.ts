import { runTransportConformance } from '@statemesh/contracts/testing';
import { MemoryNetwork } from '@statemesh/transport-memory';

const network = new MemoryNetwork({ log: () => {} });

runTransportConformance({
  name: 'transport-memory',
  create: (nodeId, { clusterId = 'conformance', seeds, heartbeatIntervalMs }) =>
    network.createTransport({ nodeId, clusterId, seeds, ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }) }),
  sendUnknownFrame: async (from, toNode) => network.injectUnknownFrame(from.nodeId, toNode),
  silence: (transport) => network.isolate(transport.nodeId),
});
