// Test support for tests of real node processes: a temporary folder per test and the nodes started in it (each
// SIGKILLed and the folder removed after the test) and a poll for a condition.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { NodeProcess } from './statemesh-process.ts';

/** The folder of the running test and its node processes; registers the hooks that make and clear them. */
export interface NodeFolder {
  /** The running test's temporary folder. */
  readonly dir: () => string;
  /** Starts `statemesh node --json ...args`, stopped with SIGKILL after the test unless stopped before. */
  start(args: readonly string[], env: Record<string, string>): Promise<NodeProcess>;
  /** Stops `node` with `signal` now. */
  stop(node: NodeProcess, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export function nodeFolder(prefix: string): NodeFolder {
  let dir = '';
  const running = new Set<NodeProcess>();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await Promise.all([...running].map((node) => node.stop('SIGKILL')));
    running.clear();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
  return {
    dir: () => dir,
    async start(args, env) {
      const node = await NodeProcess.start(args, env);
      running.add(node);
      return node;
    },
    async stop(node, signal = 'SIGKILL') {
      await node.stop(signal);
      running.delete(node);
    },
  };
}

/** Polls `condition` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
