// Test support: a small cluster of sessions over real Unix sockets in a temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { join, type Session, type SessionConfig } from '@statemesh/session';

export interface TestCluster {
  readonly dir: string;
  readonly sessions: Map<string, Session>;
  /** Starts (or restarts) a node listening on `<dir>/<id>.sock` and dialing the named nodes. */
  start(nodeId: string, seeds?: readonly string[], extra?: Partial<SessionConfig>): Promise<Session>;
  socket(nodeId: string): string;
  close(): Promise<void>;
}

export function testCluster(clusterId = 'test'): TestCluster {
  const dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-session-'));
  const sessions = new Map<string, Session>();
  const socket = (nodeId: string) => joinPath(dir, `${nodeId}.sock`);
  return {
    dir,
    sessions,
    socket,
    async start(nodeId, seeds = [], extra = {}) {
      const session = await join(
        {
          clusterId,
          nodeId,
          transport: 'ipc',
          listen: socket(nodeId),
          seeds: seeds.map(socket),
          heartbeatIntervalMs: 200,
          joinTimeoutMs: 3000,
          ...extra,
        },
        { log: () => undefined },
      );
      sessions.set(nodeId, session);
      return session;
    },
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until every session reports the same digest. */
export async function converged(sessions: readonly Session[], timeoutMs = 10_000): Promise<string> {
  await waitFor('equal digests', () => new Set(sessions.map((s) => s.digest())).size === 1, timeoutMs);
  return sessions[0]!.digest();
}

/** A TCP port on 127.0.0.1 free when asked, below the ephemeral range (no `listen(0)` takes it meanwhile). */
export { freePort } from '@statemesh/contracts/testing';
