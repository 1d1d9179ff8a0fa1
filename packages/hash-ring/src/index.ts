export { fmix32, fnv1a32, fnv1a32Mixed, type HashFunction } from './hash.js';
export { HashPartition, type HashPartitionOptions, type HashRange } from './hash-partition.js';
export { HashRing, type HashRingOptions } from './hash-ring.js';
export type { HashRingErrorCode } from './error.js';
