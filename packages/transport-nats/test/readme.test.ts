import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runReadmeExample } from '../../../test-support/readme-examples.ts';

const dir = fileURLToPath(new URL('..', import.meta.url));
const examples = readmeExamples(`${dir}/README.md`);

describe('README examples', () => {
  it('has at least one example', () => expect(examples.length).toBeGreaterThan(0));
  for (const example of examples) it(`runs the example at README.md:${example.line}`, async () => {
    await expect(runReadmeExample(dir, example)).resolves.toBeUndefined();
  });
});
