import type { ServiceDefinition } from '@grpc/grpc-js';
import { CHANNEL_PATH } from './replication-service.js';

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * The `statemesh.v1.Replication` service for grpc-js, its messages kept as Envelope bytes: the link frames and
 * unframes them (field number = frame kind) and the engine decodes the bodies with `@statemesh/wire`.
 */
export const channelService = {
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
