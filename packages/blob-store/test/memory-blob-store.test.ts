import { describe } from 'vitest';
import { MemoryBlobStore } from '@statemesh/blob-store';
import { blobStoreBehaviour } from './blob-store-behaviour.ts';

describe('MemoryBlobStore', () => {
  blobStoreBehaviour(() => Promise.resolve(new MemoryBlobStore()));
});
