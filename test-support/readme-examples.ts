// Runs the TypeScript examples of a package README as tests, so that a README never shows code that does not
// work. Every ```ts block runs, in order, as its own module inside the package folder (so `@statemesh/<name>`
// resolves exactly as it does for the package's other tests); a block fenced as ```ts no-run is skipped.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A runnable code block of a README. */
export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a markdown file, without the ```ts no-run ones. */
export function readmeExamples(readmePath: string): ReadmeExample[] {
  const lines = readFileSync(readmePath, 'utf8').split('\n');
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(ts|typescript)(\s+no-run)?\s*$/.exec(lines[i]!);
    if (fence === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    if (fence[2] === undefined) examples.push({ line: start + 1, code: body.join('\n') });
  }
  return examples;
}

/** Writes an example beside the package's sources (in the ignored `.tmp/`) and imports it. */
export async function runReadmeExample(packageDir: string, example: ReadmeExample): Promise<void> {
  const dir = join(packageDir, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `readme-example-${example.line}-${process.pid}.ts`);
  writeFileSync(file, example.code);
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
}
