import type { Command } from './command.js';
import { EXIT_CODES } from './exit-codes.js';

/** `statemesh demo`: the session's cluster demo. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the cluster demo: three node processes on this machine',
  usage: 'statemesh demo',
  help: `Starts three nodes (a - b - c over Unix sockets in a temporary folder) and shows replication latency, a
conflict, a crash and catch-up, a 50 MiB volume fetched as chunks, and the bricks a camera sees. Takes about a
minute; removes what it made.`,
  options: {},
  positionals: [0, 0],
  async run(_values, _positionals, terminal) {
    // Loaded only here: the demo pulls in what only the demo needs.
    const { runClusterDemo } = await import('@statemesh/session/demo');
    await runClusterDemo({ print: (line) => terminal.out(line) });
    return EXIT_CODES.ok;
  },
};
