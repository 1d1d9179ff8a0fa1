#!/usr/bin/env node
import { runCli } from './cli.js';

// The exit code is set, not forced: the process ends when everything it opened is closed. A command that leaks a
// handle is a bug this watchdog makes visible instead of hanging.
process.exitCode = await runCli(process.argv.slice(2));
setTimeout(() => {
  process.stderr.write('statemesh: something was left open after the command finished; exiting\n');
  process.exit(process.exitCode ?? 1);
}, 5000).unref();
