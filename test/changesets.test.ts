// Versions are independent: a changeset for one package bumps that package alone.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'package.json')));
const work = mkdtempSync(join(tmpdir(), 'statemesh-changesets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the workspace's manifests and changeset config: what `changeset version` reads and writes. */
function copyWorkspace(): string {
  const dir = mkdtempSync(join(work, 'repo-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, file), join(dir, file));
  mkdirSync(join(dir, '.changeset'));
  cpSync(join(root, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'));
  for (const name of packages) {
    mkdirSync(join(dir, 'packages', name), { recursive: true });
    cpSync(join(root, 'packages', name, 'package.json'), join(dir, 'packages', name, 'package.json'));
  }
  return dir;
}

function versions(dir: string): Record<string, string> {
  return Object.fromEntries(
    packages.map((name) => [name, JSON.parse(readFileSync(join(dir, 'packages', name, 'package.json'), 'utf8')).version]),
  );
}

describe('changesets', () => {
  it('a patch changeset for one package bumps only that package', () => {
    const bump = 'patch';
    const dir = copyWorkspace();
    const target = packages.includes('hash-ring') ? 'hash-ring' : packages[0]!;
    writeFileSync(join(dir, '.changeset', 'one-package.md'), `---\n"@statemesh/${target}": ${bump}\n---\n\nA change.\n`);
    const before = versions(dir);

    execFileSync(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], { cwd: dir, stdio: 'pipe' });

    const after = versions(dir);
    const [major, minor, patch] = before[target]!.split('.').map(Number) as [number, number, number];
    expect(after[target]).toBe(`${major}.${minor}.${patch + 1}`);
    for (const name of packages.filter((n) => n !== target)) expect(after[name], name).toBe(before[name]);
    expect(existsSync(join(dir, 'packages', target, 'CHANGELOG.md'))).toBe(true);
    expect(packages.filter((name) => existsSync(join(dir, 'packages', name, 'CHANGELOG.md')))).toEqual([target]);
  });

  it('a minor changeset on 0.x also patches only the direct dependents whose range it leaves', () => {
    const dir = copyWorkspace();
    const target = packages.includes('hash-ring') ? 'hash-ring' : packages[0]!;
    writeFileSync(join(dir, '.changeset', 'one-package.md'), `---\n"@statemesh/${target}": minor\n---\n\nA change.\n`);
    const before = versions(dir);
    const dependents = packages.filter((name) => JSON.parse(readFileSync(join(dir, 'packages', name, 'package.json'), 'utf8')).dependencies?.[`@statemesh/${target}`]);

    execFileSync(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], { cwd: dir, stdio: 'pipe' });

    const after = versions(dir);
    const changed = packages.filter((name) => after[name] !== before[name]).sort();
    expect(changed).toEqual([target, ...dependents].sort());
    for (const name of dependents) expect(after[name]).toMatch(/^0\.\d+\.[1-9]\d*$/);
  });
});
