// Test helpers (Node only): real nats-server processes on loopback for tests of this package and of its users.
export { freePort, natsServerBinary, startNatsCluster, startNatsServer } from './nats-server.js';
export type { NatsServer, NatsServerOptions } from './nats-server.js';
