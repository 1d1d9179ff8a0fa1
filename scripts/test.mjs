#!/usr/bin/env node
// Runs every test of every package in one vitest run and ends with the plain line "N passed, N failed" that CI
// reads (vitest's own summary is for people). Arguments are passed on to vitest (e.g. a project or file filter).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const report = join(root, '.tmp', 'vitest-report.json');
mkdirSync(join(root, '.tmp'), { recursive: true });
rmSync(report, { force: true });

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
);

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed = result.numPassedTests ?? 0;
  // A test file that failed to load has no test results of its own: count it as one failure.
  const brokenFiles = (result.testResults ?? []).filter((file) => file.status === 'failed' && !(file.assertionResults ?? []).length).length;
  failed = (result.numFailedTests ?? 0) + brokenFiles;
  skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
} else {
  failed = 1; // vitest died before writing a report: count the run itself as a failure
}
const status = run.status ?? 1;
if (status !== 0 && failed === 0) failed = 1; // a failure vitest did not attribute to a test (e.g. an unhandled error)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status !== 0 || failed > 0 ? 1 : 0);
