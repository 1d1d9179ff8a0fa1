export { MemoryNetwork } from './memory-network.js';
export type { MemoryNetworkOptions, NetworkFaultStats } from './memory-network.js';
export { MemoryTransport } from './memory-transport.js';
export type { MemoryTransportOptions } from './memory-transport.js';
export type { LinkFaults } from './link-faults.js';
export { realScheduler } from './scheduler.js';
export type { Scheduler, SchedulerTimer } from './scheduler.js';
export { VirtualScheduler } from './virtual-scheduler.js';
export { SeededRandom } from './seeded-random.js';
