import { fileURLToPath } from 'node:url';

/** Absolute path of `replication.proto`, the schema every frame follows (for grpc loaders and other languages). */
export const REPLICATION_PROTO_PATH = fileURLToPath(new URL('../proto/statemesh/v1/replication.proto', import.meta.url));
