export { NatsTransport } from './nats-transport.js';
export { PACKAGE, logStreamName } from './options.js';
export type { NatsCredentials, NatsStreamOptions, NatsTransportOptions } from './options.js';
export { subjectsOf } from './subjects.js';
export type { Subjects } from './subjects.js';
