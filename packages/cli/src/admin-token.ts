import { readFileSync, statSync } from 'node:fs';
import { StatemeshError } from '@statemesh/session';
import type { OptionValues } from './command.js';

const PREFIX = '@statemesh/cli: ';

/**
 * The admin token from `--token-file <file>` (or `$STATEMESH_TOKEN_FILE`), else `$STATEMESH_TOKEN`; undefined
 * when none is given. A bare `--token <token>` is refused: on the command line every user of the machine sees
 * it (`ps`, `/proc/<pid>/cmdline`, shell history). Throws `INVALID_ARGUMENT` (exit 2).
 */
export function tokenFrom(values: OptionValues, env: Readonly<Record<string, string | undefined>>, warn?: (line: string) => void): string | undefined {
  if (values['token'] !== undefined) {
    throw new StatemeshError(
      'INVALID_ARGUMENT',
      `${PREFIX}--token is refused: a token on the command line is visible to every user of this machine (ps, shell history). Put it in a file readable only by you and pass --token-file <file>, or set $STATEMESH_TOKEN`,
    );
  }
  const file = typeof values['token-file'] === 'string' ? values['token-file'] : env['STATEMESH_TOKEN_FILE'];
  return secretFrom(file, env['STATEMESH_TOKEN'], warn);
}

/**
 * The token in `file` (read with {@link readTokenFile}, and a warning when others can read it), else `value`;
 * an empty string counts as none.
 */
export function secretFrom(file: string | undefined, value: string | undefined, warn?: (line: string) => void): string | undefined {
  const path = nonEmpty(file);
  if (path === undefined) return nonEmpty(value);
  const token = readTokenFile(path);
  const warning = tokenFileWarning(path);
  if (warning !== undefined) warn?.(warning);
  return token;
}

/** The token in `file`: its first line, without surrounding white space. */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}cannot read the token file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const token = text.split(/\r?\n/, 1)[0]!.trim();
  if (token === '') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the token file ${file} is empty; write the admin token on its first line`);
  return token;
}

/**
 * A warning when the token file can be read by other users (group or world permissions), else undefined: the
 * token is as secret as the file is private.
 */
export function tokenFileWarning(file: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return undefined; // reading it reports the problem
  }
  if ((mode & 0o077) === 0) return undefined;
  return `warning: the token file ${file} can be read by other users (mode ${(mode & 0o777).toString(8)}); make it private: chmod 600 ${file}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
