import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isStatemeshError } from '@statemesh/session';
import { CONNECTION_HELP, conflictsCommand, deleteCommand, getCommand, lsCommand, peersCommand, setCommand, statusCommand } from './admin-commands.js';
import type { Command } from './command.js';
import { demoCommand } from './demo-command.js';
import { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes.js';
import { nodeCommand } from './node-command.js';
import { processTerminal, type Terminal } from './terminal.js';
import { watchCommand } from './watch-command.js';

/** Every command of the `statemesh` binary, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  nodeCommand,
  statusCommand,
  peersCommand,
  getCommand,
  setCommand,
  deleteCommand,
  lsCommand,
  watchCommand,
  conflictsCommand,
  demoCommand,
];

const EXIT_HELP = `Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 refused (missing or wrong token), 5 node unreachable.`;

/** The overall help text. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `statemesh: run, inspect and administer a statemesh cluster

Usage: statemesh <command> [arguments] [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Run statemesh <command> --help for a command's options.
${EXIT_HELP}`;
}

/** A command's help text. */
export function commandHelp(command: Command): string {
  const connects = 'node' in command.options && command.name !== 'node';
  return `${command.summary}

Usage: ${command.usage}

${command.help}${connects ? `\n\n${CONNECTION_HELP}` : ''}

${EXIT_HELP}`;
}

/** Runs the `statemesh` command line (`argv` without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], terminal: Terminal = processTerminal()): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? COMMANDS.find((command) => command.name === rest[0]) : undefined;
    terminal.out(target === undefined ? mainHelp() : commandHelp(target));
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    terminal.out(pkg.version);
    return EXIT_CODES.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    terminal.err(`statemesh: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}`);
    return EXIT_CODES.usage;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    terminal.err(`statemesh ${command.name}: ${(error as Error).message}\n\nUsage: ${command.usage}\n(statemesh ${command.name} --help for more)`);
    return EXIT_CODES.usage;
  }
  if (parsed.values['help'] === true) {
    terminal.out(commandHelp(command));
    return EXIT_CODES.ok;
  }
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    terminal.err(`statemesh ${command.name}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}\n\nUsage: ${command.usage}`);
    return EXIT_CODES.usage;
  }
  try {
    return await command.run(parsed.values, parsed.positionals, terminal);
  } catch (error) {
    terminal.progressDone();
    terminal.err(isStatemeshError(error) ? error.message : `statemesh ${command.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return exitCodeFor(error);
  }
}
