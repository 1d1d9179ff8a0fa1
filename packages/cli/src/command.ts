import type { ParseArgsConfig } from 'node:util';
import type { ExitCode } from './exit-codes.js';
import type { Terminal } from './terminal.js';

/** Parsed options of one command. */
export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** One `statemesh` command: its help and what it runs. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** `statemesh <name> ...` synopsis. */
  readonly usage: string;
  /** More lines of help: arguments, options, examples. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments: [min, max]. */
  readonly positionals: readonly [number, number];
  run(values: OptionValues, positionals: readonly string[], terminal: Terminal): Promise<ExitCode>;
}
