// Many large values hydrate on a peer over IPC without livelock: fetches are bounded per node and per peer, the
// server queues its answers, and no link is dropped as too slow (issue 13, finding 5).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { join, type Session } from '@statemesh/session';
import { waitFor } from './cluster.ts';

const VALUES = 16;
const VALUE_BYTES = 4 * 1024 * 1024;

let dir: string | undefined;
let sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  sessions = [];
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function node(id: string, seeds: readonly string[]): Promise<Session> {
  const session = await join(
    {
      clusterId: 'large',
      nodeId: id,
      transport: 'ipc',
      listen: joinPath(dir!, `${id}.sock`),
      seeds: seeds.map((s) => joinPath(dir!, `${s}.sock`)),
      blobStorePath: joinPath(dir!, `${id}-blobs`),
      heartbeatIntervalMs: 200,
      joinTimeoutMs: 3000,
    },
    { log: () => undefined },
  );
  sessions.push(session);
  return session;
}

it(`hydrates ${VALUES} values of ${VALUE_BYTES >> 20} MiB on a peer with no slow-peer disconnect`, async () => {
  dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-large-'));
  const a = await node('a', []);
  const b = await node('b', ['a']);
  await waitFor('a and b connected', () => a.status().peerCount === 1 && b.status().peerCount === 1);
  const written: Uint8Array[] = [];
  for (let i = 0; i < VALUES; i++) {
    const bytes = new Uint8Array(randomBytes(VALUE_BYTES));
    written.push(bytes);
    a.setBytes(`volume.v${i}`, bytes, 'volume/u8');
  }
  await a.flush();
  await waitFor(
    'every value hydrated on b',
    () => written.every((_, i) => b.get(`volume.v${i}`)?.pending === false),
    120_000,
  );
  for (let i = 0; i < VALUES; i++) expect(Buffer.from(b.get(`volume.v${i}`)!.bytes!).equals(written[i]!)).toBe(true);
  expect(a.metrics().transport.slowPeerDisconnects).toBe(0);
  expect(b.metrics().transport.slowPeerDisconnects).toBe(0);
  expect(b.metrics().hydrations.failed).toBe(0);
}, 150_000);
