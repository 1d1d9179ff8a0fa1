// Sessions over NATS (`transport: 'nats'`): real nats-server processes on loopback, started and stopped here.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, type Session, type SessionConfig } from '@statemesh/session';
import { startNatsServer, type NatsServer } from '@statemesh/transport-nats/testing';
import { converged, waitFor } from './cluster.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let server: NatsServer;
let clusters = 0;

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.stop();
});

function natsNode(clusterId: string, nodeId: string, extra: Partial<SessionConfig> = {}): Promise<Session> {
  return join(
    { clusterId, nodeId, transport: 'nats', nats: { servers: [server.url], stream: { storage: 'memory' } }, heartbeatIntervalMs: 200, joinTimeoutMs: 2_000, ...extra },
    { log: () => undefined },
  );
}

describe("transport: 'nats'", () => {
  it('every write reaches every node, and status lists every node with its lag', async () => {
    const clusterId = `s${++clusters}`;
    const sessions = await Promise.all(['a', 'b', 'c', 'd'].map((id) => natsNode(clusterId, id)));
    try {
      await waitFor('every node to list 3 peers', () => sessions.every((s) => s.status().peerCount === 3));
      sessions.forEach((s, i) => {
        for (let k = 0; k < 100; k++) s.set(`scene.n${i}.k${k}`, { i, k });
      });
      await converged(sessions);
      expect(sessions[3]!.entries('scene').length).toBe(400);
      const last = sessions[0]!.set('scene.last', 1);
      await sessions[0]!.replicated(last, { peers: 3, timeoutMs: 10_000 });
      await waitFor('lag 0 everywhere', () => sessions[0]!.status().peers.every((p) => p.lagSeq === 0));
      expect(sessions[0]!.status().peers.map((p) => p.node).sort()).toEqual(['b', 'c', 'd']);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
  });

  it('a node down for 100 000 writes catches up from JetStream alone, every other node closed', { timeout: 120_000 }, async () => {
    const clusterId = `s${++clusters}`;
    const writer = await natsNode(clusterId, 'w');
    const witness = await natsNode(clusterId, 'x');
    const late = await natsNode(clusterId, 'late');
    await waitFor('peers', () => writer.status().peerCount === 2);
    await late.close();
    for (let i = 0; i < 100_000; i++) {
      writer.set(`data.k${i % 5000}`, i);
      if (i % 5_000 === 4_999) await writer.flush();
    }
    const lastWrite = writer.set('data.done', true);
    await writer.replicated(lastWrite, { peers: 1, timeoutMs: 60_000 });
    const digest = writer.digest();
    await Promise.all([writer.close(), witness.close()]);
    const back = await natsNode(clusterId, 'late', { joinTimeoutMs: 0 });
    try {
      expect(back.status().peerCount).toBe(0); // nobody to catch up from but the log
      expect(back.get('data.done')?.value).toBe(true);
      expect(back.digest()).toBe(digest);
    } finally {
      await back.close();
    }
  });

  it('what a node wrote while it was alone is in the log for a node that comes later', async () => {
    const clusterId = `s${++clusters}`;
    const lone = await natsNode(clusterId, 'lone', { joinTimeoutMs: 0 });
    for (let i = 0; i < 100; i++) lone.set(`solo.k${i}`, i);
    await lone.flush();
    const digest = lone.digest();
    await lone.close();
    const later = await natsNode(clusterId, 'later', { joinTimeoutMs: 0 });
    try {
      expect(later.status().peerCount).toBe(0);
      expect(later.entries('solo').length).toBe(100);
      expect(later.digest()).toBe(digest);
    } finally {
      await later.close();
    }
  });

  it('when the log was trimmed (stream limits), a returning node still catches up from a live peer', async () => {
    const clusterId = `s${++clusters}`;
    const stream = { storage: 'memory' as const, maxMessages: 3 };
    const writer = await natsNode(clusterId, 'w', { nats: { servers: [server.url], stream } });
    const late = await natsNode(clusterId, 'late', { nats: { servers: [server.url], stream } });
    await waitFor('peers', () => writer.status().peerCount === 1);
    await late.close();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) writer.set(`data.r${round}.k${i}`, i);
      await writer.flush();
    }
    const back = await natsNode(clusterId, 'late', { nats: { servers: [server.url], stream } });
    try {
      await converged([writer, back]);
      expect(back.entries('data').length).toBe(1000);
    } finally {
      await Promise.all([writer.close(), back.close()]);
    }
  });

  it('a large value written on one node hydrates on another (chunks by request/reply)', async () => {
    const clusterId = `s${++clusters}`;
    const [a, b] = await Promise.all([natsNode(clusterId, 'a'), natsNode(clusterId, 'b')]);
    try {
      await waitFor('peers', () => a.status().peerCount === 1 && b.status().peerCount === 1);
      const big = new Uint8Array(3_000_000).map((_, i) => (i * 7) & 0xff);
      a.setBytes('volume.brick', big, 'bytes');
      const value = await b.waitForData('volume.brick', 20_000);
      expect((value.value as Uint8Array).length).toBe(big.length);
      expect(Buffer.from(value.value as Uint8Array).equals(Buffer.from(big))).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('replicated:N of a large value resolves once the peers hold its chunks (their Acks say so)', { timeout: 60_000 }, async () => {
    const clusterId = `s${++clusters}`;
    const [a, b, c] = await Promise.all([natsNode(clusterId, 'a'), natsNode(clusterId, 'b'), natsNode(clusterId, 'c')]);
    try {
      await waitFor('peers', () => [a, b, c].every((s) => s.status().peerCount === 2));
      const big = new Uint8Array(2_500_000).map((_, i) => (i * 13) & 0xff);
      const version = a.setBytes('volume.held', big, 'bytes');
      await a.replicated(version, { peers: 2, timeoutMs: 30_000 });
      for (const peer of [b, c]) {
        const value = peer.get('volume.held');
        expect(value?.pending).toBe(false);
        expect(Buffer.from(value!.value as Uint8Array).equals(Buffer.from(big))).toBe(true);
      }
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('a node with interests gets the delete of a subtree holding them', async () => {
    const clusterId = `s${++clusters}`;
    const [a, b] = await Promise.all([natsNode(clusterId, 'a'), natsNode(clusterId, 'b', { interests: ['scene.camera'], antiEntropyIntervalMs: 600_000 })]);
    try {
      await waitFor('peers', () => a.status().peerCount === 1 && b.status().peerCount === 1);
      a.set('scene.camera.fov', 40);
      a.set('scene.light', 1);
      await waitFor('the camera on b', () => b.get('scene.camera.fov')?.value === 40);
      expect(b.get('scene.light')).toBeUndefined();
      a.delete('scene');
      await waitFor('the delete on b', () => b.get('scene.camera.fov') === undefined);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('leaves nothing that keeps the process alive after close()', { timeout: 60_000 }, async () => {
    const dir = joinPath(packageDir, '.tmp', `nats-exit-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const script = joinPath(dir, 'child.ts');
    writeFileSync(
      script,
      `
import { join } from '@statemesh/session';
const config = (nodeId) => ({ clusterId: 'exit', nodeId, transport: 'nats', nats: { servers: [${JSON.stringify(server.url)}], stream: { storage: 'memory' } }, joinTimeoutMs: 500 });
const quiet = { log: () => undefined };
const a = await join(config('a'), quiet);
const b = await join(config('b'), quiet);
a.setBytes('big', new Uint8Array(200_000).fill(1), 'bytes');
a.set('small', 1);
await b.waitForData('big', 10_000);
await b.waitForData('small', 10_000);
await Promise.all([a.close(), b.close()]);
console.log('closed');
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', script], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
    expect(output).toContain('closed');
    expect({ code, signal }, `the process did not exit by itself after close(): ${output}`).toEqual({ code: 0, signal: null });
  });

  it("refuses transport 'nats' without nats.servers", async () => {
    await expect(join({ clusterId: 'c', nodeId: 'a', transport: 'nats' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(join({ clusterId: 'c', nodeId: 'a', transport: 'nats', nats: { servers: [] } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
