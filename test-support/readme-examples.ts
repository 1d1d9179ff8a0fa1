// Runs the examples of a package README as tests, so that a README never shows code that does not work. Every
// ```ts block runs, in order, as its own module inside the package folder (so `@statemesh/<name>` resolves exactly
// as it does for the package's other tests); a block fenced as ```ts no-run is skipped. Every ```js block runs as a
// plain `.mjs` file in a Node.js child process, as a user without TypeScript would run it (the workspace packages
// it imports resolve to their sources through tsx; the block itself must be plain JavaScript). Each example gets a
// temporary folder of its own as `os.tmpdir()` and must leave it empty: examples clean up after themselves.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A runnable code block of a README. */
export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** `ts`: imported in the test's process; `js`: run as plain `.mjs` by a child `node`. */
  readonly lang: 'ts' | 'js';
}

/** How long a ```js example may run. */
const JS_EXAMPLE_TIMEOUT_MS = 60_000;

/** The ```ts and ```js blocks of a markdown file, without the `no-run` ones. */
export function readmeExamples(readmePath: string): ReadmeExample[] {
  const lines = readFileSync(readmePath, 'utf8').split('\n');
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(ts|typescript|js|javascript)(\s+no-run)?\s*$/.exec(lines[i]!);
    if (fence === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    const lang = fence[1] === 'js' || fence[1] === 'javascript' ? 'js' : 'ts';
    if (fence[2] === undefined) examples.push({ line: start + 1, code: body.join('\n'), lang });
  }
  return examples;
}

/** Writes an example beside the package's sources (in the ignored `.tmp/`) and runs it; rejects if it fails. */
export async function runReadmeExample(packageDir: string, example: ReadmeExample): Promise<void> {
  const dir = join(packageDir, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `readme-example-${example.line}-${process.pid}.${example.lang === 'js' ? 'mjs' : 'ts'}`);
  // Short, so that Unix socket paths under it stay within their 107 bytes.
  const privateTmp = mkdtempSync(join(tmpdir(), 'smrd-'));
  writeFileSync(file, example.code);
  try {
    if (example.lang === 'js') await runPlainJs(packageDir, file, privateTmp);
    else await importWithTmpdir(file, privateTmp);
    const left = readdirSync(privateTmp).filter((name) => !name.startsWith('tsx-')); // tsx's own compile cache
    if (left.length > 0) throw new Error(`the example at README.md:${example.line} left ${left.join(', ')} in the temporary folder; remove what it creates`);
  } finally {
    rmSync(file, { force: true });
    rmSync(privateTmp, { recursive: true, force: true });
  }
}

async function importWithTmpdir(file: string, privateTmp: string): Promise<void> {
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = privateTmp; // os.tmpdir() reads it at every call
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
}

function runPlainJs(packageDir: string, file: string, privateTmp: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--conditions=@statemesh/source', file],
      { cwd: packageDir, timeout: JS_EXAMPLE_TIMEOUT_MS, env: { ...process.env, TMPDIR: privateTmp } },
      (error, _stdout, stderr) => {
        if (error === null) resolve();
        else reject(new Error(`the js example ${file} failed (${error.message.split('\n')[0]}):\n${stderr}`));
      },
    );
  });
}
