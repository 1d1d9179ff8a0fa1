import type { ServiceDefinition } from '@grpc/grpc-js';

/** The gRPC method path of `statemesh.v1.Replication/Channel`. */
export const CHANNEL_PATH = '/statemesh.v1.Replication/Channel';

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * The `statemesh.v1.Replication` service for grpc-js, its messages kept as Envelope bytes: the link frames and
 * unframes them (field number = frame kind) and the engine decodes the bodies with `@statemesh/wire`.
 */
export const replicationService = {
  Channel: {
    path: CHANNEL_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'channel',
  },
} satisfies ServiceDefinition;
