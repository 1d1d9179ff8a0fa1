// The session's `auth` config passes its tokens to IPC links over TCP (DESIGN section 7, issue 13 finding 7).
import { afterEach, expect, it } from 'vitest';
import { isStatemeshError } from '@statemesh/contracts';
import { join, type Session } from '@statemesh/session';
import { freePort, waitFor } from './cluster.ts';

const auth = { expectedToken: 'ipc-token-123', outboundToken: 'ipc-token-123' };
let sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  sessions = [];
});

async function node(nodeId: string, listen: string | undefined, seeds: string[], withAuth: boolean): Promise<Session> {
  const session = await join(
    { clusterId: 'ipc-token', nodeId, transport: 'ipc', listen, seeds, heartbeatIntervalMs: 200, joinTimeoutMs: 500, ...(withAuth ? { auth } : {}) },
    { log: () => undefined },
  );
  sessions.push(session);
  return session;
}

it('refuses to join with an IPC listener on TCP that takes no token, unless config.insecure (then it warns)', async () => {
  const listen = `tcp://127.0.0.1:${await freePort()}`;
  let refusal: unknown;
  try {
    sessions.push(await join({ clusterId: 'ipc-token', nodeId: 'open', transport: 'ipc', listen }, { log: () => undefined }));
  } catch (error) {
    refusal = error;
  }
  expect(isStatemeshError(refusal, 'INVALID_CONFIG')).toBe(true);
  expect((refusal as Error).message).toMatch(/without a token.*insecure: true/);
  const lines: string[] = [];
  const session = await join({ clusterId: 'ipc-token', nodeId: 'open', transport: 'ipc', listen, insecure: true }, { log: (line) => lines.push(line) });
  sessions.push(session);
  expect(lines.filter((line) => line.includes('auth.expectedToken'))).toHaveLength(1);
});

it('links over loopback TCP with the token, and refuses and counts a node without it', async () => {
  const at = `tcp://127.0.0.1:${await freePort()}`;
  const a = await node('a', at, [], true);
  const b = await node('b', undefined, [at], true);
  b.set('scene.ok', 1);
  await waitFor('b to reach a', () => a.get('scene.ok') !== undefined);
  const intruder = await node('x', undefined, [at], false);
  intruder.set('scene.forged', 1);
  await waitFor('the intruder refused', () => a.metrics().transport.authFailures >= 1);
  expect(a.status().peers.map((p) => p.node)).toEqual(['b']);
  expect(a.get('scene.forged')).toBeUndefined();
});
