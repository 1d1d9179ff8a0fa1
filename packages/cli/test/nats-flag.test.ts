// `statemesh node --nats <url>`: nodes over NATS only, and a node that is a gateway between its mesh and NATS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '@statemesh/cli';
import { startNatsServer, type NatsServer } from '@statemesh/transport-nats/testing';
import { applyNatsFlag } from '../src/node-config.ts';
import { NodeProcess } from './statemesh-process.ts';

const TOKEN = 'nats-flag-token';
let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.stop();
});

describe('--nats', () => {
  it('two node processes replicate over NATS', { timeout: 60_000 }, async () => {
    const flags = (id: string) => ['--cluster', 'clinats', '--id', id, '--nats', server.url, '--admin', '127.0.0.1:0', '--heartbeat-ms', '200'];
    const nodes = await Promise.all([NodeProcess.start(flags('a'), { STATEMESH_TOKEN: TOKEN }), NodeProcess.start(flags('b'), { STATEMESH_TOKEN: TOKEN })]);
    try {
      const [a, b] = nodes.map((node) => new AdminClient(node.adminUrl, TOKEN));
      await a!.set('scene.fov', 60);
      const deadline = Date.now() + 15_000;
      while ((await b!.get('scene.fov')) === undefined) {
        if (Date.now() > deadline) throw new Error('scene.fov never reached b');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await b!.get('scene.fov'))?.value).toBe(60);
      expect((await a!.peers()).map((peer) => peer.node)).toEqual(['b']);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });

  it('alone makes a NATS node; beside --listen or --seed, a gateway with a nats bridge', () => {
    const alone: Record<string, unknown> = {};
    applyNatsFlag(alone, ['nats://10.0.0.1:4222']);
    expect(alone).toEqual({ transport: 'nats', nats: { servers: ['nats://10.0.0.1:4222'] } });
    const gateway: Record<string, unknown> = { listen: '/tmp/gw.sock', nats: { stream: { replicas: 3 } } };
    applyNatsFlag(gateway, ['nats://a:4222', 'nats://b:4222']);
    expect(gateway).toEqual({ listen: '/tmp/gw.sock', nats: { stream: { replicas: 3 }, servers: ['nats://a:4222', 'nats://b:4222'] }, bridges: [{ transport: 'nats' }] });
    const untouched: Record<string, unknown> = { listen: 'x' };
    applyNatsFlag(untouched, undefined);
    expect(untouched).toEqual({ listen: 'x' });
  });
});
