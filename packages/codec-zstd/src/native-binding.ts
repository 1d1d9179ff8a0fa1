import { createRequire } from 'node:module';
import { StatemeshError } from '@statemesh/contracts';

/** The two functions of the native binding that ships inside `@mongodb-js/zstd` 1.2.x. */
export interface ZstdNativeBinding {
  /** One zstd frame of `data` at `level`; runs on the libuv thread pool. */
  compress(data: Buffer, level?: number): Promise<Uint8Array>;
  /** The concatenated content of every frame in `data`; runs on the libuv thread pool. */
  decompress(data: Buffer): Promise<Uint8Array>;
}

let binding: ZstdNativeBinding | undefined;

/**
 * The native binding of `@mongodb-js/zstd`, called directly: the package's `compress(data, level)` wrapper drops
 * `level` (every level gives level-3 output) while its binding honours it. Loaded on first use.
 */
export function zstdNativeBinding(): ZstdNativeBinding {
  if (binding !== undefined) return binding;
  let loaded: unknown;
  try {
    loaded = createRequire(import.meta.url)('@mongodb-js/zstd/bindings.js');
  } catch (error) {
    throw new StatemeshError(
      'INTERNAL',
      '@statemesh/codec-zstd: cannot load the native zstd binding of @mongodb-js/zstd; reinstall so that the @mongodb-js/zstd 1.2.x binary package for this platform is present',
      { cause: error },
    );
  }
  const candidate = loaded as Partial<ZstdNativeBinding> | null;
  if (typeof candidate?.compress !== 'function' || typeof candidate.decompress !== 'function') {
    throw new StatemeshError(
      'INTERNAL',
      '@statemesh/codec-zstd: @mongodb-js/zstd/bindings.js has no compress/decompress; install @mongodb-js/zstd ~1.2.2',
    );
  }
  binding = candidate as ZstdNativeBinding;
  return binding;
}
