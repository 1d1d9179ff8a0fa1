import { isStatemeshError } from '@statemesh/session';

/** The exit codes of the `statemesh` command, stable for scripts. */
export const EXIT_CODES = {
  /** The command did what was asked. */
  ok: 0,
  /** Something failed (a timeout, a node error, a failed check). */
  failure: 1,
  /** The command line or the config was wrong: nothing was done. */
  usage: 2,
  /** `get` found no value at the path. */
  notFound: 3,
  /** The node refused the request: a missing or wrong token. */
  refused: 4,
  /** No node answered at the address. */
  unreachable: 5,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit code a command ends with when `error` escapes it. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!isStatemeshError(error)) return EXIT_CODES.failure;
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return EXIT_CODES.refused;
    case 'PEER_UNAVAILABLE':
      return EXIT_CODES.unreachable;
    case 'INVALID_ARGUMENT':
    case 'INVALID_CONFIG':
    case 'INVALID_PATH':
    case 'INVALID_ID':
    case 'INVALID_TYPE':
    case 'RESERVED_PATH':
      return EXIT_CODES.usage;
    default:
      return EXIT_CODES.failure;
  }
}
