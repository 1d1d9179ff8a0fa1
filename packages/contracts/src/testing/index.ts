// Conformance suites shared by every implementation of a contracts interface. Imported as
// `@statemesh/contracts/testing`; requires vitest (an optional peer dependency).
export { RecordingHost } from './recording-host.js';
export type { ReceivedBatch, RecordingHostOptions } from './recording-host.js';
export { runTransportConformance } from './transport-conformance.js';
export type { HarnessTransportOptions, TransportHarness } from './transport-harness.js';
export { waitFor } from './wait-for.js';
export type { WaitForOptions } from './wait-for.js';
export { SilencingRelay } from './silencing-relay.js';
export type { RelayEndpoint } from './silencing-relay.js';
export { runReplicaStoreConformance } from './replica-store-conformance.js';
export type { ReplicaStoreHarness } from './replica-store-harness.js';
export { freePort } from './free-port.js';
export { SeededRandom } from './seeded-random.js';
