// Test support for the interop tests: a Python peer (test/interop/*.py, run by Debian's python3) as a child process
// that prints one JSON event a line, each killed after the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { until } from './node-folder.ts';

/** The replication schema the peers compile with protoc. */
export const REPLICATION_PROTO = fileURLToPath(new URL('../../wire/proto/statemesh/v1/replication.proto', import.meta.url));

/** One running Python peer: its events as they come, a line to its stdin, and its exit code. */
export interface PythonPeer {
  /** Waits for the event named `name` (the peer's own bounded waits fail it first when the node is silent). */
  event(name: string): Promise<Record<string, unknown>>;
  say(line: string): void;
  readonly exit: Promise<number | null>;
}

/** Registers the hook that kills the peers after each test; `start` runs `test/interop/<script>` with `args`. */
export function pythonPeers(): { start(script: string, args: readonly string[]): PythonPeer; finalEvent(script: string, args: readonly string[], event: string): Promise<Record<string, unknown>> } {
  const running = new Set<ChildProcess>();
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
  });
  const start = (script: string, args: readonly string[]): PythonPeer => {
    const child = spawn('/usr/bin/python3', [fileURLToPath(new URL(`./interop/${script}`, import.meta.url)), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    const events: Array<Record<string, unknown>> = [];
    let stderr = '';
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        events.push(JSON.parse(buffer.slice(0, end)) as Record<string, unknown>);
        buffer = buffer.slice(end + 1);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const failed = () => events.find((e) => e['event'] === 'failed');
    return {
      async event(name) {
        await until(`the Python peer's ${name} event (so far ${JSON.stringify(events)}; stderr ${stderr})`, () => failed() !== undefined || child.exitCode !== null || events.some((e) => e['event'] === name), 60_000);
        const found = events.find((e) => e['event'] === name);
        if (found === undefined) throw new Error(`the Python peer ended without ${name}: ${JSON.stringify(events)} ${stderr}`);
        return found;
      },
      say: (line) => child.stdin.write(`${line}\n`),
      exit,
    };
  };
  return {
    start,
    /** Runs the peer to its end: the event it ends with, once it exited 0. */
    async finalEvent(script, args, event) {
      const peer = start(script, args);
      const found = await peer.event(event);
      expect(await peer.exit).toBe(0);
      return found;
    },
  };
}
