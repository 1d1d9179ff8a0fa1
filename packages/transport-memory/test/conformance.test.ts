import { runTransportConformance } from '@statemesh/contracts/testing';
import { MemoryNetwork } from '@statemesh/transport-memory';
import { encodeIpcHeader } from '@statemesh/wire';

const network = new MemoryNetwork();

runTransportConformance({
  name: 'transport-memory',
  create: (nodeId, { clusterId = 'conformance', seeds, onError = () => {}, ...engine }) =>
    network.createTransport({ nodeId, clusterId, seeds, ...engine, reconnect: { initialMs: 20, maxMs: 250 }, onError }),
  engine: true,
  rawLink: (toNode) => network.dialer('raw', toNode).dial(),
  // A frame of kind 99 (known to no version) on the open link, framed as any other.
  sendUnknownFrame: async (from, toNode) => {
    network.inject(from.nodeId, toNode, Uint8Array.from([...encodeIpcHeader(99, 1, 4), 0xde, 0xad, 0xbe, 0xef]));
  },
  silence: (transport) => network.isolate(transport.nodeId),
});
