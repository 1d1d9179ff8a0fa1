import type { HelloInfo, Mutation, SnapshotPage, SnapshotRequest } from '@statemesh/contracts';

/**
 * What travels between memory transports: the frames of the replication protocol (DESIGN.md section 3) as
 * objects, cloned on the way. `unknown` stands for a kind a newer version might send; receivers skip it.
 */
export type MemoryFrame =
  | {
      readonly kind: 'hello';
      readonly node: string;
      readonly cluster: string;
      readonly minVersion: number;
      readonly maxVersion: number;
      readonly hello: HelloInfo;
    }
  | { readonly kind: 'mutations'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'snapshot-request'; readonly requestId: number; readonly request: SnapshotRequest }
  | { readonly kind: 'snapshot-page'; readonly requestId: number; readonly page: SnapshotPage; readonly error?: string }
  | { readonly kind: 'chunk-request'; readonly requestId: number; readonly digest: string }
  | {
      readonly kind: 'chunk-response';
      readonly requestId: number;
      readonly digest: string;
      readonly found: boolean;
      readonly data?: Uint8Array;
    }
  | { readonly kind: 'heartbeat'; readonly node: string; readonly sentAtMs: number }
  | { readonly kind: 'goodbye'; readonly reason: string }
  | { readonly kind: 'unknown'; readonly code: number };

/** The protocol version memory transports speak (the range they accept is 1..1). */
export const MEMORY_PROTOCOL_VERSION = 1;

/** An estimate of a frame's size on a real wire, for the byte counters. */
export function frameSize(frame: MemoryFrame): number {
  switch (frame.kind) {
    case 'mutations': {
      let size = 8;
      for (const m of frame.mutations) {
        const payload = m.payload;
        size += 32 + m.path.length + m.type.length + m.origin.length;
        size += payload === undefined ? 0 : payload instanceof Uint8Array ? payload.byteLength : 48;
      }
      return size;
    }
    case 'chunk-response':
      return 16 + frame.digest.length + (frame.data?.byteLength ?? 0);
    case 'snapshot-page': {
      let size = 16;
      for (const e of frame.page.entries) {
        const payload = e.payload;
        size += 32 + e.path.length + e.type.length;
        size += payload === undefined ? 0 : payload instanceof Uint8Array ? payload.byteLength : 48;
      }
      return size;
    }
    default:
      return 16;
  }
}
