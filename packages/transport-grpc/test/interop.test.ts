// Interop: a client built on Python's grpcio (Debian's python3-grpcio) and protoc-generated classes from
// replication.proto — nothing else shared — completes the Hello exchange with the engine over a gRPC listener
// and pulls a snapshot in pages.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkEntries, type Entry } from '@statemesh/contracts';
import { RecordingHost, waitFor, type RecordingHostOptions } from '@statemesh/contracts/testing';
import { ProtocolTransport } from '@statemesh/protocol';
import { grpcListener, type GrpcListener, type GrpcListenerOptions } from '@statemesh/transport-grpc';
import { REPLICATION_PROTO_PATH } from '@statemesh/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { certificateFor, certificates } from './fixtures/certificates.ts';

const PYTHON = '/usr/bin/python3';
const script = fileURLToPath(new URL('./interop/snapshot_client.py', import.meta.url));
const available =
  spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' }).status === 0 && spawnSync('protoc', ['--version'], { stdio: 'ignore' }).status === 0;
// In CI the root's scripts/system-deps.mjs installs them; a missing toolchain there is a failure, not a skip.
const required = process.env.CI === 'true';

const started: ProtocolTransport[] = [];
afterEach(() => Promise.all(started.splice(0).map((t) => t.close())));

/** The engine for `nodeId` behind a gRPC listener on loopback, started with a recording host. */
async function serve(nodeId: string, options: GrpcListenerOptions, host: RecordingHostOptions) {
  const listener: GrpcListener = grpcListener('127.0.0.1:0', { onError: () => {}, ...options });
  const transport = new ProtocolTransport({ nodeId, clusterId: 'test', listeners: [listener], heartbeatIntervalMs: 500, onError: () => {} });
  const recording = new RecordingHost(host);
  await transport.start(recording);
  started.push(transport);
  return { transport, host: recording, listener };
}

function run(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [script, ...args], { timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`python client failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('interop with Python grpcio', () => {
  it.skipIf(!available && !required)('completes Hello and pulls a paged snapshot using only replication.proto', async () => {
    expect(available, 'python3-grpcio, python3-protobuf and protobuf-compiler must be installed (scripts/system-deps.mjs)').toBe(true);
    const entries: Entry[] = [
      { path: 'scene.camera', version: { origin: 'node', seq: 1, hlc: 2n ** 60n + 1n }, tombstone: false, type: 'json', payload: new TextEncoder().encode('{"fov":60}') },
      { path: 'scene.gone', version: { origin: 'node', seq: 2, hlc: 2n ** 60n + 2n }, tombstone: true, type: '' },
      { path: 'scene.title', version: { origin: 'other', seq: 9, hlc: 2n ** 60n + 3n }, tombstone: false, type: 'text', payload: new TextEncoder().encode('hello') },
      { path: 'tools.x', version: { origin: 'node', seq: 3, hlc: 5n }, tombstone: false, type: 'text', payload: new TextEncoder().encode('no') },
    ];
    const server = await serve('node', {}, { entries: checkEntries(entries), vector: { node: 3, other: 9 }, interests: ['scene'] });
    const workdir = mkdtempSync(join(tmpdir(), 'smgrpc-py-'));
    try {
      const out = JSON.parse(await run([server.listener.address, REPLICATION_PROTO_PATH, workdir, 'test', 'scene'])) as {
        hello: { node: string; cluster: string; min: number; max: number; vector: Record<string, number>; interests: string[] };
        pages: number[];
        entries: Array<{ path: string; origin: string; seq: number; hlc: string; tombstone: boolean; type: string; inline: string | null }>;
        vector: Record<string, number>;
      };
      expect(out.hello).toEqual({ node: 'node', cluster: 'test', min: 1, max: 1, vector: { node: 3, other: 9 }, interests: ['scene'] });
      expect(out.pages).toEqual([2, 1]);
      expect(out.entries).toEqual([
        { path: 'scene.camera', origin: 'node', seq: 1, hlc: String(2n ** 60n + 1n), tombstone: false, type: 'json', inline: '{"fov":60}' },
        { path: 'scene.gone', origin: 'node', seq: 2, hlc: String(2n ** 60n + 2n), tombstone: true, type: '', inline: null },
        { path: 'scene.title', origin: 'other', seq: 9, hlc: String(2n ** 60n + 3n), tombstone: false, type: 'text', inline: 'hello' },
      ]);
      expect(out.vector).toEqual({ node: 3, other: 9 });
      // The Python peer was a real peer: up, then down when it said goodbye.
      expect(server.host.snapshotRequests.map((r) => [...r.prefixes])).toEqual([['scene']]);
      await waitFor(() => server.host.eventsFor('py-client').map((e) => e.type).join() === 'up,down', { message: 'py-client up then down' });
      expect(server.transport.stats().badFrames).toBe(0);
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });

  it.skipIf(!available && !required)('connects over mutual TLS with a bearer token, and is refused without the token', async () => {
    expect(available).toBe(true);
    const { ca } = certificates();
    const server = await serve('secure', { tls: { ca, ...certificateFor('secure'), requireClientAuth: true }, requireTls: true, auth: { expectedToken: 'py-token' } }, { vector: { secure: 1 } });
    const client = certificateFor('py-client'); // with mutual TLS, the Hello's node id must be a name of the certificate
    const workdir = mkdtempSync(join(tmpdir(), 'smgrpc-py-'));
    try {
      for (const [name, pem] of [['ca.crt', ca], ['client.crt', client.cert], ['client.key', client.key]] as const) writeFileSync(join(workdir, name), pem, { mode: 0o600 });
      const tls = { STATEMESH_CA: join(workdir, 'ca.crt'), STATEMESH_CERT: join(workdir, 'client.crt'), STATEMESH_KEY: join(workdir, 'client.key') };
      const args = [server.listener.address, REPLICATION_PROTO_PATH, workdir, 'test', 'scene'];
      const refused = JSON.parse(await run(args, tls)) as { status?: string };
      expect(refused).toEqual({ status: 'UNAUTHENTICATED' });
      expect(server.listener.authFailures).toBe(1);
      const ok = JSON.parse(await run(args, { ...tls, STATEMESH_TOKEN: 'py-token' })) as { hello: { node: string; vector: Record<string, number> }; pages: number[] };
      expect(ok.hello.node).toBe('secure');
      expect(ok.hello.vector).toEqual({ secure: 1 });
      expect(ok.pages).toEqual([0]);
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});
