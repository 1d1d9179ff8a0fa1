#!/usr/bin/env node
import { runCli } from './cli.js';

// The exit code is set, not forced: the process ends when everything it opened is closed. A command that leaks a
// handle is a bug this watchdog makes visible instead of hanging.
process.exitCode = await runCli(process.argv.slice(2));
setTimeout(() => {
  process.stderr.write('statemesh: something was still open 5 s after the command finished (a bug; please report it); exiting with 1\n');
  process.exit(1);
}, 5000).unref();
