// Every package README: commands that work as printed, an install line that works before the first release, and
// one plain-JavaScript example.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'package.json')));

/** The internal packages `name` needs, itself included. */
function needed(name: string, seen = new Set<string>()): Set<string> {
  seen.add(name);
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    const short = dep.replace(/^@statemesh\//, '');
    if (dep.startsWith('@statemesh/') && !seen.has(short)) needed(short, seen);
  }
  return seen;
}

describe.each(packages)('packages/%s/README.md', (name) => {
  const readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8');

  it('has no bare pnpm command and no `test -- --project`', () => {
    expect(readme).not.toMatch(/`pnpm /);
    expect(readme).not.toMatch(/ -- --project/);
  });

  it('says how to install from a clone, with every internal package it and its examples need', () => {
    const line = /npm install \/tmp\/statemesh-packs\/statemesh-(\{[a-z,-]+\}|[a-z]+(?:-[a-z]+)*|\*)(?:-\*)?\.tgz/.exec(readme);
    expect(line).not.toBeNull(); // an `npm install /tmp/statemesh-packs/...` line
    if (line![1] === '*') return; // every tarball
    const listed = new Set(line![1]!.replace(/[{}]/g, '').split(','));
    // The packages the runnable examples import (a volume example joins a session), with what they need in turn.
    const wanted = needed(name);
    for (const block of readme.matchAll(/^```(?:ts|js)\n([\s\S]*?)^```/gm)) {
      for (const imported of block[1]!.matchAll(/from '@statemesh\/([a-z-]+)/g)) needed(imported[1]!, wanted);
    }
    expect([...wanted].filter((dep) => !listed.has(dep))).toEqual([]);
  });

  it('has one plain-JavaScript example', () => {
    expect(readme.match(/^```js$/gm)).toHaveLength(1);
  });
});
