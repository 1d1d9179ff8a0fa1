// A node with a dataDir keeps where it read the NATS medium's JetStream log, live batches included, and reads
// only what came after on restart, losing nothing: closed, and SIGKILLed at a moment of its own.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportHost } from '@statemesh/contracts';
import { join, type Session, type SessionConfig } from '@statemesh/session';
import { NatsTransport } from '@statemesh/transport-nats';
import { startNatsServer, type NatsServer } from '@statemesh/transport-nats/testing';
import { waitFor } from './cluster.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
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

function natsNode(clusterId: string, nodeId: string, extra: Partial<SessionConfig> = {}): Promise<Session> {
  return join(
    { clusterId, nodeId, transport: 'nats', nats: { servers: [server.url], stream: { storage: 'memory' } }, heartbeatIntervalMs: 200, joinTimeoutMs: 0, ...extra },
    { log: () => undefined },
  );
}

/** The cursor a node kept in `dataDir` (0 when none yet). */
function keptCursor(dataDir: string): number {
  const file = joinPath(dataDir, 'nats-cursor');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { cursor: number }).cursor : 0;
}

/** The stream's last sequence now: where a fresh transport's read of the whole log ends. */
async function logEnd(clusterId: string): Promise<number> {
  const host: TransportHost = { hello: () => ({ vector: {} }), onMutations: () => undefined, onPeerEvent: () => undefined, readChunk: async () => undefined, async *snapshot() {} };
  const probe = new NatsTransport({ nodeId: 'probe', clusterId, servers: [server.url], stream: { storage: 'memory' }, onError: () => undefined });
  await probe.start(host);
  const end = probe.logCursor;
  await probe.close();
  return end;
}

/** `count` writes `data.k<from>`... on `writer`, ten to a batch (a message on the log each). */
async function write(writer: Session, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    writer.set(`data.k${i}`, i);
    if (i % 10 === 9) await writer.flush();
  }
  await writer.flush();
}

/**
 * Closes `writer` (nobody is left to catch up from but the log), starts the node of `dataDir` again, runs `check`
 * on it and checks it holds what the writer held.
 */
async function restartAlone(clusterId: string, writer: Session, dataDir: string, check: (again: Session) => void): Promise<void> {
  const digest = writer.digest();
  await writer.close();
  const again = await natsNode(clusterId, 'r', { dataDir });
  try {
    check(again);
    expect(again.digest()).toBe(digest);
  } finally {
    await again.close();
  }
}

describe('the NATS log cursor of a node with a dataDir', () => {
  it('a restart reads only the log entries after the cursor it kept', async () => {
    const dataDir = joinPath(dir, 'r');
    const writer = await natsNode('cursor', 'w');
    for (let i = 0; i < 200; i++) writer.set(`data.k${i}`, i);
    await writer.flush();
    const first = await natsNode('cursor', 'r', { dataDir });
    expect(first.get('data.k199')?.value).toBe(199);
    expect(first.metrics().transport.delivered).toBe(200); // the whole log
    await waitFor('the cursor kept once the entries are on disk', () => existsSync(joinPath(dataDir, 'nats-cursor')));
    await first.close();
    for (let i = 200; i < 230; i++) writer.set(`data.k${i}`, i);
    await writer.flush();
    await restartAlone('cursor', writer, dataDir, (again) => {
      expect(again.metrics().transport.delivered).toBe(30); // the entries after the cursor, no more
      expect(again.get('data.k0')?.value).toBe(0); // from its disk
      expect(again.get('data.k229')?.value).toBe(229);
    });
  });

  it('follows the live batches: after a run of 1000 live writes and a close, a restart reads only what came after', { timeout: 60_000 }, async () => {
    const dataDir = joinPath(dir, 'live');
    const reader = await natsNode('live', 'r', { dataDir });
    const writer = await natsNode('live', 'w');
    await write(writer, 0, 1_000); // all after the reader's start: live batches
    await waitFor('every live write at the reader', () => reader.get('data.k999')?.value === 999);
    const end = await logEnd('live');
    await waitFor('the kept cursor past the live writes', () => keptCursor(dataDir) >= end, 20_000);
    await reader.close();
    await write(writer, 1_000, 30);
    await restartAlone('live', writer, dataDir, (again) => {
      expect(again.metrics().transport.delivered).toBe(30); // the 30 after its close, none of the 1000
      expect(again.get('data.k0')?.value).toBe(0); // from its disk
      expect(again.get('data.k1029')?.value).toBe(1029);
    });
  });

  it('SIGKILLed while live writes arrive, a restart loses none of them and reads far fewer than were written', { timeout: 90_000 }, async () => {
    const dataDir = joinPath(dir, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', joinPath(packageDir, 'test/fixtures/nats-node.ts'), 'killed', 'r', server.url, dataDir], {
      cwd: packageDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let writer: Session | undefined;
    try {
      await waitFor('the child node joined', () => output.includes('"ready"'), 30_000);
      writer = await natsNode('killed', 'w');
      await write(writer, 0, 1_000);
      const end = await logEnd('killed');
      await waitFor(`the child's kept cursor past the first 1000 writes (${output})`, () => keptCursor(dataDir) >= end, 30_000);
      // Killed in the middle of the next writes: some reached it, some were on its disk, some not.
      for (let i = 1_000; i < 1_050; i++) {
        writer.set(`data.k${i}`, i);
        if (i === 1_020) child.kill('SIGKILL');
        if (i % 5 === 4) await writer.flush();
      }
      await exited;
      await writer.flush();
      await restartAlone('killed', writer, dataDir, (again) => {
        expect(again.metrics().transport.delivered).toBeLessThan(200); // of 1050 written: those after the kill and the few kept after it, not the 1000
        for (let i = 0; i < 1_050; i++) expect(again.get(`data.k${i}`)?.value, `data.k${i}`).toBe(i);
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
      await writer?.close(); // idempotent
    }
  });
});
