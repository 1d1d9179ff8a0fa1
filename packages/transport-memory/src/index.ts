export { MemoryNetwork } from './memory-network.js';
export type { MemoryNetworkOptions, MemoryTransportOptions, NetworkFaultStats } from './memory-network.js';
export { MemoryLink } from './memory-link.js';
export type { LinkFaults } from './link-faults.js';
