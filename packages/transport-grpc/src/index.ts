export { GrpcTransport } from './grpc-transport.js';
export { DEFAULT_HIGH_WATER_MARK_BYTES } from './options.js';
export type { AuthOptions, GrpcTransportOptions, KeepaliveOptions, Pem, TlsOptions } from './options.js';
export type { ReconnectOptions } from '@statemesh/protocol';
export { CHANNEL_PATH, deserializeEnvelope, replicationService, serializeEnvelope } from './replication-service.js';
export type { Incoming, Outgoing } from './replication-service.js';
