// The root README's claims that can be checked: the two set-up commands come first, and every command it lists
// is a script of the root package.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(`${root}README.md`, 'utf8');
const scripts = Object.keys(JSON.parse(readFileSync(`${root}package.json`, 'utf8')).scripts);

describe('README', () => {
  it('starts with the two set-up commands: the demo, then every test', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1]?.trim().split('\n') ?? [];
    expect(firstBlock[0]).toMatch(/^npx -y pnpm@10\.34\.9 install && npx -y pnpm@10\.34\.9 demo\b/);
    expect(firstBlock[1]).toMatch(/^npx -y pnpm@10\.34\.9 install && npx -y pnpm@10\.34\.9 test:all\b/);
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('\n## '));
  });

  it('lists only commands that exist', () => {
    const listed = [...readme.matchAll(/`(?:npx -y pnpm@10\.34\.9|pnpm) ([a-z:-]+)/g)].map((m) => m[1]!).filter((c) => c !== 'changeset' || scripts.includes(c));
    expect(listed.length).toBeGreaterThan(5);
    expect(listed.filter((command) => !scripts.includes(command))).toEqual([]);
  });

  it('prints commands that work as typed after its set-up: no bare pnpm, no `test -- --project`', () => {
    expect(readme).not.toMatch(/`pnpm /); // pnpm is not on the PATH after `npx -y pnpm@10.34.9 install`
    expect(readme).not.toMatch(/ -- --project/); // pnpm passes the `--` on: vitest then runs every project
  });

  it('is what .ci/run runs', () => {
    const ci = readFileSync(`${root}.ci/run`, 'utf8');
    expect(ci).toContain('$PNPM install && $PNPM test:all');
    expect(ci).toContain('$PNPM install && $PNPM demo');
  });
});
