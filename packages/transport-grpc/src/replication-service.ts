import type { ServiceDefinition } from '@grpc/grpc-js';
import { decodeEnvelope, encodeEnvelope, type Frame, type UnknownFrame } from '@statemesh/wire';

/** What this transport writes into a stream: a frame, or the bytes of an `Envelope` already encoded (once for many peers). */
export type Outgoing = Frame | Uint8Array;

/** What a stream yields: the decoded frame, or why its bytes did not decode; `bytes` is the message size either way. */
export type Incoming = { readonly frame: Frame | UnknownFrame; readonly bytes: number } | { readonly error: unknown; readonly bytes: number };

/** The gRPC method path of `statemesh.v1.Replication/Channel`. */
export const CHANNEL_PATH = '/statemesh.v1.Replication/Channel';

/** Serializes one stream message with `@statemesh/wire`'s `Envelope` encoder (bytes pass through). */
export function serializeEnvelope(message: Outgoing): Buffer {
  const bytes = message instanceof Uint8Array ? message : encodeEnvelope(message);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Deserializes one stream message with `@statemesh/wire`'s `Envelope` decoder. It never throws: a message that
 * does not decode comes back as `{ error }`, so that the transport (not grpc-js) decides what happens: it counts
 * a bad frame and ends that stream with a status, and every other stream goes on.
 */
export function deserializeEnvelope(bytes: Buffer): Incoming {
  try {
    return { frame: decodeEnvelope(bytes), bytes: bytes.byteLength };
  } catch (error) {
    return { error, bytes: bytes.byteLength };
  }
}

/**
 * The `statemesh.v1.Replication` service, hand-written for grpc-js with wire's codec plugged in as the method's
 * serializers: one protobuf runtime (wire's), no proto-loader, and byte-for-byte the `replication.proto` schema.
 */
export const replicationService = {
  Channel: {
    path: CHANNEL_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: serializeEnvelope,
    requestDeserialize: deserializeEnvelope,
    responseSerialize: serializeEnvelope,
    responseDeserialize: deserializeEnvelope,
    originalName: 'channel',
  },
} satisfies ServiceDefinition;
