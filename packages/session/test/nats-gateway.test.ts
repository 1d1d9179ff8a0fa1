// Two sites: a local IPC mesh of three nodes bridged to NATS by a gateway node, and nodes on NATS only.
import { mkdtempSync, rmSync } from 'node:fs';
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
  dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-gateway-'));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a gateway between an IPC mesh and NATS', () => {
  it('both sides see every write, and interests are honoured on both', { timeout: 60_000 }, async () => {
    const quiet = { log: () => undefined };
    const common = { clusterId: 'sites', heartbeatIntervalMs: 200, joinTimeoutMs: 1_000 } as const;
    const nats = { servers: [server.url], stream: { storage: 'memory' as const } };
    const sock = (id: string): string => joinPath(dir, `${id}.sock`);
    const node = (config: Partial<SessionConfig> & { nodeId: string }): Promise<Session> => join({ ...common, ...config } as SessionConfig, quiet);
    const sessions: Session[] = [];
    try {
      const gateway = await node({ nodeId: 'gw', transport: 'ipc', listen: sock('gw'), bridges: [{ transport: 'nats' }], nats });
      const a = await node({ nodeId: 'a', transport: 'ipc', listen: sock('a'), seeds: [sock('gw')] });
      const b = await node({ nodeId: 'b', transport: 'ipc', listen: sock('b'), seeds: [sock('gw'), sock('a')], interests: ['scene'] });
      const x = await node({ nodeId: 'x', transport: 'nats', nats });
      const y = await node({ nodeId: 'y', transport: 'nats', nats, interests: ['scene'] });
      sessions.push(gateway, a, b, x, y);
      await waitFor('the gateway to see all four', () => gateway.status().peerCount === 4, 15_000);
      a.set('scene.fromA', 1);
      a.set('other.fromA', 1);
      x.set('scene.fromX', 2);
      x.set('other.fromX', 2);
      b.set('scene.fromB', 3);
      y.set('scene.fromY', 4);
      const everything = ['scene.fromA', 'other.fromA', 'scene.fromX', 'other.fromX', 'scene.fromB', 'scene.fromY'];
      for (const s of [gateway, a, x]) await waitFor(`every write at ${s.status().nodeId}`, () => everything.every((p) => s.get(p) !== undefined), 15_000);
      for (const s of [b, y]) await waitFor(`the scene writes at ${s.status().nodeId}`, () => everything.filter((p) => p.startsWith('scene')).every((p) => s.get(p) !== undefined), 15_000);
      // Nothing outside their interests reached b (IPC side) or y (NATS side).
      expect(b.entries('other')).toEqual([]);
      expect(y.entries('other')).toEqual([]);
      expect(a.get('scene.fromY')?.value).toBe(4);
      expect(x.get('scene.fromB')?.value).toBe(3);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
  });
});
