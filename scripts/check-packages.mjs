#!/usr/bin/env node
// Proves every package installs and works alone, as a user would get it from the registry:
//   1. build (tsc -b) and `pnpm pack` each package (pack rewrites `workspace:` ranges to real versions);
//   2. lint each tarball with `publint --strict` and `attw` (are the types wrong?);
//   3. install each tarball alone, with only the tarballs of its internal dependencies, in an empty folder,
//      and load it with import() and require();
//   4. check with `npm ls` that the zero-dependency packages pull in no runtime dependency at all.
// Usage: node scripts/check-packages.mjs [package ...]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const ZERO_DEPENDENCY = new Set(['hlc', 'hash-ring', 'brick-manifest', 'contracts']);
const bin = (name) => join(root, 'node_modules', '.bin', name);

const all = readdirSync(join(root, 'packages'))
  .filter((name) => existsSync(join(root, 'packages', name, 'package.json')))
  .map((name) => ({ name, dir: join(root, 'packages', name), manifest: readJson(join(root, 'packages', name, 'package.json')) }))
  .filter((pkg) => !pkg.manifest.private);
const wanted = process.argv.slice(2);
const selected = wanted.length ? all.filter((pkg) => wanted.includes(pkg.name)) : all;

const work = mkdtempSync(join(tmpdir(), 'statemesh-packages-'));
const packs = join(work, 'packs');
mkdirSync(packs);
const failures = [];

step('build', () => run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], root));

const tarballs = new Map();
for (const pkg of all) {
  const before = new Set(readdirSync(packs));
  run(bin('pnpm'), ['pack', '--pack-destination', packs], pkg.dir);
  const file = readdirSync(packs).find((f) => !before.has(f));
  tarballs.set(pkg.manifest.name, join(packs, file));
}

for (const pkg of selected) {
  const tarball = tarballs.get(pkg.manifest.name);
  step(`${pkg.name}: publint --strict`, () => run(bin('publint'), ['run', tarball, '--strict'], work));
  // ESM-only on purpose: engines.node >= 20.19, where require() of an ES module works unflagged.
  step(`${pkg.name}: attw`, () => run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji'], work));

  const dir = mkdtempSync(join(work, `${pkg.name}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true }));
  const needed = [tarball, ...internalDependencies(pkg.manifest.name).map((name) => tarballs.get(name))];
  step(`${pkg.name}: install alone`, () =>
    run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...needed], dir));
  step(`${pkg.name}: import()`, () =>
    run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pkg.manifest.name)}); if (Object.keys(m).length === 0) throw new Error('no exports');`], dir));
  step(`${pkg.name}: require()`, () =>
    run(process.execPath, ['-e', `const m = require(${JSON.stringify(pkg.manifest.name)}); if (Object.keys(m).length === 0) throw new Error('no exports');`], dir));
  if (ZERO_DEPENDENCY.has(pkg.name)) {
    step(`${pkg.name}: no runtime dependencies (npm ls)`, () => {
      const tree = JSON.parse(run('npm', ['ls', '--all', '--json'], dir));
      // An optional peer dependency that is not installed shows up as an empty object: count installed ones only.
      const installed = (deps) => Object.entries(deps ?? {}).filter(([, d]) => d.version).map(([n]) => n);
      const top = installed(tree.dependencies);
      const nested = installed(tree.dependencies?.[pkg.manifest.name]?.dependencies);
      if (top.length !== 1 || nested.length !== 0) throw new Error(`pulls in: ${[...top, ...nested].join(', ')}`);
    });
  }
}

rmSync(work, { recursive: true, force: true });
console.log(`\ncheck:packages: ${selected.length} packages, ${failures.length} problem(s)`);
for (const failure of failures) console.log(`  FAIL ${failure}`);
process.exit(failures.length ? 1 : 0);

function internalDependencies(name, seen = new Set()) {
  const pkg = all.find((p) => p.manifest.name === name);
  for (const dep of Object.keys(pkg?.manifest.dependencies ?? {})) {
    if (dep.startsWith('@statemesh/') && !seen.has(dep)) {
      seen.add(dep);
      internalDependencies(dep, seen);
    }
  }
  return [...seen];
}

function step(label, fn) {
  try {
    fn();
    console.log(`ok   ${label}`);
  } catch (error) {
    failures.push(label);
    console.log(`FAIL ${label}\n${indent(String(error.stdout ?? ''))}${indent(String(error.stderr ?? error.message))}`);
  }
}

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

function indent(text) {
  return text.trim() ? `${text.trim().split('\n').map((line) => `     ${line}`).join('\n')}\n` : '';
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}
