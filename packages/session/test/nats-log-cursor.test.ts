// A node with a dataDir keeps where it read the NATS medium's JetStream log, and reads only what came after.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, type Session, type SessionConfig } from '@statemesh/session';
import { startNatsServer, type NatsServer } from '@statemesh/transport-nats/testing';
import { waitFor } from './cluster.ts';

let server: NatsServer;
let dir: string;

beforeAll(async () => {
  server = await startNatsServer();
  dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-nats-cursor-'));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function natsNode(nodeId: string, extra: Partial<SessionConfig> = {}): Promise<Session> {
  return join(
    { clusterId: 'cursor', nodeId, transport: 'nats', nats: { servers: [server.url], stream: { storage: 'memory' } }, heartbeatIntervalMs: 200, joinTimeoutMs: 0, ...extra },
    { log: () => undefined },
  );
}

describe('the NATS log cursor of a node with a dataDir', () => {
  it('a restart reads only the log entries after the cursor it kept', async () => {
    const dataDir = joinPath(dir, 'r');
    const writer = await natsNode('w');
    for (let i = 0; i < 200; i++) writer.set(`data.k${i}`, i);
    await writer.flush();
    const first = await natsNode('r', { dataDir });
    expect(first.get('data.k199')?.value).toBe(199);
    expect(first.metrics().transport.delivered).toBe(200); // the whole log
    await waitFor('the cursor kept once the entries are on disk', () => existsSync(joinPath(dataDir, 'nats-cursor')));
    await first.close();
    for (let i = 200; i < 230; i++) writer.set(`data.k${i}`, i);
    await writer.flush();
    const digest = writer.digest();
    await writer.close(); // nobody to catch up from but the log
    const again = await natsNode('r', { dataDir });
    try {
      expect(again.metrics().transport.delivered).toBe(30); // the entries after the cursor, no more
      expect(again.get('data.k0')?.value).toBe(0); // from its disk
      expect(again.get('data.k229')?.value).toBe(229);
      expect(again.digest()).toBe(digest);
    } finally {
      await again.close();
    }
  });
});
