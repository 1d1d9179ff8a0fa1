// The README runner itself: ```ts and ```js blocks run, ```js as plain JavaScript, and an example that leaves
// files in the temporary folder fails.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeExamples, runReadmeExample } from '../test-support/readme-examples.ts';

const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, '.tmp'), { recursive: true });
// Inside the repository, so that a child `node --import tsx` finds tsx as the package READMEs' examples do.
const dir = mkdtempSync(join(root, '.tmp', 'readme-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fence = '```';
writeFileSync(
  join(dir, 'README.md'),
  [
    `${fence}ts`, "const n: number = 1; if (n !== 1) throw new Error('ts');", fence,
    `${fence}ts no-run`, "throw new Error('skipped');", fence,
    `${fence}js`, "import assert from 'node:assert/strict'; assert.equal(1 + 1, 2);", fence,
    `${fence}js`, 'const n: number = 1;', fence,
    `${fence}js`, "import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; mkdtempSync(`${tmpdir()}/statemesh-`);", fence,
    `${fence}ts`, "import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; mkdtempSync(`${tmpdir()}/statemesh-`);", fence,
    `${fence}sh`, 'echo not code', fence,
    '',
  ].join('\n'),
);
const examples = readmeExamples(join(dir, 'README.md'));

describe('README examples runner', () => {
  it('finds the ts and js blocks, not the no-run or sh ones', () => {
    expect(examples.map((e) => [e.line, e.lang])).toEqual([[1, 'ts'], [7, 'js'], [10, 'js'], [13, 'js'], [16, 'ts']]);
  });

  it('runs a ts block in process and a js block as plain .mjs', async () => {
    await expect(runReadmeExample(dir, examples[0]!)).resolves.toBeUndefined();
    await expect(runReadmeExample(dir, examples[1]!)).resolves.toBeUndefined();
  });

  it('fails a js block that is TypeScript', async () => {
    await expect(runReadmeExample(dir, examples[2]!)).rejects.toThrow(/SyntaxError/);
  });

  it('fails an example that leaves a folder in the temporary folder, js or ts', async () => {
    await expect(runReadmeExample(dir, examples[3]!)).rejects.toThrow(/README\.md:13 left statemesh-/);
    await expect(runReadmeExample(dir, examples[4]!)).rejects.toThrow(/README\.md:16 left statemesh-/);
  });
});
