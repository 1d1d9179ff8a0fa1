// The dependency arrows of DESIGN.md section 1, and the rule that a package's tests never reach into another
// package's src/.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const ALLOWED: Record<string, readonly string[] | '*'> = {
  hlc: [], 'hash-ring': [], 'brick-manifest': [], contracts: [],
  'codec-zstd': ['contracts'], 'blob-store': ['contracts'], wire: ['contracts'], protocol: ['contracts', 'wire'],
  'transport-memory': ['contracts', 'wire', 'protocol'], 'transport-ipc': ['contracts', 'wire', 'protocol'],
  'transport-grpc': ['contracts', 'wire', 'protocol'], 'store-fs': ['contracts', 'wire'], shard: ['contracts', 'hlc', 'hash-ring', 'blob-store'],
  volume: ['contracts', 'brick-manifest', 'blob-store'],
  'transport-websocket': ['contracts', 'wire', 'protocol'], 'transport-nats': ['contracts', 'wire', 'protocol'],
  session: '*', viewer: ['contracts', 'hlc', 'hash-ring', 'brick-manifest', 'codec-zstd', 'blob-store', 'wire', 'protocol', 'transport-memory', 'transport-ipc', 'transport-grpc', 'transport-websocket', 'transport-nats', 'shard', 'store-fs', 'volume', 'session'], cli: '*',
};
const ZERO_RUNTIME_DEPENDENCIES = ['hlc', 'hash-ring', 'brick-manifest', 'contracts'];
const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'package.json')));
const manifest = (name: string) => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|js|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('package dependencies', () => {
  it.each(packages)('%s depends only on the packages DESIGN.md allows', (name) => {
    const allowed = ALLOWED[name];
    expect(allowed, `${name} is not in DESIGN.md's table`).toBeDefined();
    const internal = Object.keys({ ...manifest(name).dependencies, ...manifest(name).peerDependencies })
      .filter((dep) => dep.startsWith('@statemesh/'))
      .map((dep) => dep.slice('@statemesh/'.length));
    if (allowed !== '*') expect(internal.filter((dep) => !allowed!.includes(dep))).toEqual([]);
  });

  it.each(ZERO_RUNTIME_DEPENDENCIES.filter((name) => packages.includes(name)))('%s has no runtime dependencies', (name) => {
    expect(manifest(name).dependencies ?? {}).toEqual({});
  });

  it.each(packages)('%s imports other packages by name, never their src/', (name) => {
    // A relative specifier that climbs out of this package into another one's src/: '../../hlc/src/clock.js',
    // in a static import or a dynamic one.
    const intoOtherSrc = /(?:from\s+|import\(\s*|new URL\(\s*)['"](?:\.\.\/)+(?:packages\/)?([a-z-]+)\/src\//g;
    const offenders = ['src', 'test', 'bench']
      .flatMap((folder) => filesUnder(join(root, 'packages', name, folder)))
      .filter((file) => [...readFileSync(file, 'utf8').matchAll(intoOtherSrc)].some((match) => match[1] !== name));
    expect(offenders).toEqual([]);
  });
});
