import { defineConfig } from 'vitest/config';

/**
 * Settings every package's vitest config extends. Workspace packages resolve through the
 * `@statemesh/source` export condition to their `src/`, so tests never need a build first.
 */
export default defineConfig({
  resolve: { conditions: ['@statemesh/source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['@statemesh/source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
