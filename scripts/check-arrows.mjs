#!/usr/bin/env node
// Checks package dependencies against DESIGN.md section 1 with the shared arrows tool, which sits beside the
// repository (../shared/tools/arrows.mjs) in CI and on developer machines. The repository's own test suite checks
// the same table (test/arrows.test.ts), so a checkout without the shared folder is still covered.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tool = fileURLToPath(new URL('../../shared/tools/arrows.mjs', import.meta.url));
if (!existsSync(tool)) {
  console.log(`check:arrows: ${tool} not found; test/arrows.test.ts checks the same table`);
  process.exit(0);
}
const result = spawnSync(process.execPath, [tool, root], { stdio: 'inherit' });
process.exit(result.status ?? 1);
