export { FRAME_KIND, FRAME_KIND_OF, MAX_ACK_HELD, MAX_HEARTBEAT_LINKS, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './frame.js';
export type {
  AckFrame,
  ChunkRequestFrame,
  ChunkResponseFrame,
  Frame,
  GoodbyeFrame,
  HeartbeatFrame,
  HelloFrame,
  MutationsFrame,
  OutgoingFrame,
  SnapshotPageFrame,
  SnapshotRequestFrame,
  UnknownFrame,
} from './frame.js';
export { encodeFrameBody } from './frame-body-encoder.js';
export { decodeFrameBody } from './frame-body-decoder.js';
export { decodeEnvelope, encodeEnvelope } from './envelope.js';
export { DEFAULT_MAX_FRAME_BYTES, IPC_HEADER_BYTES, IPC_MAGIC, encodeIpcFrame } from './ipc-frame.js';
export { IpcFrameDecoder } from './ipc-frame-decoder.js';
export type { IpcFrame, IpcFrameDecoderOptions } from './ipc-frame-decoder.js';
export { DEFAULT_MIN_COMPRESS_BYTES, compressMutations, decompressMutations } from './mutation-compression.js';
export type { CompressMutationsOptions, DecompressMutationsOptions } from './mutation-compression.js';
export { REPLICATION_PROTO_PATH } from './schema.js';
export { negotiateVersion } from './version-negotiation.js';
export type { VersionRange } from './version-negotiation.js';
export { IpcFrameReader, encodeIpcHeader } from './ipc-frame-reader.js';
export type { IpcRawFrame } from './ipc-frame-reader.js';
export { decodeRawEnvelope, encodeRawEnvelope, encodeRawIpcFrame } from './raw-frame-bytes.js';
