import { CONNECTION_OPTIONS, clientFor } from './admin-commands.js';
import type { Command } from './command.js';
import { EXIT_CODES } from './exit-codes.js';

/** `statemesh watch <prefix>`: streams changes until interrupted. */
export const watchCommand: Command = {
  name: 'watch',
  summary: 'stream the changes under a prefix until interrupted (Ctrl-C)',
  usage: 'statemesh watch [prefix] [--json]',
  help: `One line per changed path: local writes and writes arriving from peers, with the version and where it came
from. --json prints one JSON object per line. Ctrl-C ends it (exit 0); exit 5 when the node goes away, or drops
the stream because this end fell more than 1 MiB of events behind.`,
  options: CONNECTION_OPTIONS,
  positionals: [0, 1],
  async run(values, [prefix], terminal) {
    const json = values['json'] === true;
    const stream = await clientFor(values, terminal).watch(prefix ?? '', (change) => {
      if (json) terminal.out(JSON.stringify(change));
      else {
        const value = change.op === 'delete' ? '' : change.pending ? ' = <pending large value>' : 'value' in change ? ` = ${JSON.stringify(change.value)}` : ` (${change.type})`;
        terminal.out(`${change.op} ${change.path}${value}  ${change.origin}#${change.seq}${change.from === 'local' ? '' : ` via ${change.from}`}`);
      }
    });
    let interrupted = false;
    const stop = terminal.onInterrupt(() => {
      interrupted = true;
      stream.close();
    });
    terminal.err(`watching ${prefix === undefined || prefix === '' ? 'the whole tree' : prefix}; Ctrl-C to stop`);
    try {
      await stream.done;
    } finally {
      stop();
    }
    if (interrupted) return EXIT_CODES.ok;
    // The node ends streams when it stops, and drops a client that falls more than 1 MiB of events behind.
    terminal.err('@statemesh/cli: the node closed the stream (did it stop? it also drops a watch that reads too slowly: run it again)');
    return EXIT_CODES.unreachable;
  },
};
