// NATS credentials pass through to the server, which checks them: user/password, token, nkey, TLS; and a user
// whose subject permissions confine it to one cluster still replicates there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nkeys } from '@nats-io/transport-node';
import { NatsTransport, type NatsCredentials } from '@statemesh/transport-nats';
import { startNatsServer, type NatsServer } from '@statemesh/transport-nats/testing';
import { RecordingHost, until, writes } from './fixtures/recording-host.ts';

const started: NatsServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function server(extra: string): Promise<NatsServer> {
  const s = await startNatsServer({ extra, jetstream: false });
  started.push(s);
  return s;
}

/** Two nodes with `credentials` replicate one write, then close. */
async function replicates(url: string, credentials: NatsCredentials, clusterId = 'c'): Promise<void> {
  const hosts = [new RecordingHost(), new RecordingHost()];
  const transports = hosts.map((_, i) => new NatsTransport({ nodeId: `n${i}`, clusterId, servers: [url], credentials, stream: false, heartbeatIntervalMs: 200, onError: () => undefined }));
  try {
    for (const [i, t] of transports.entries()) await t.start(hosts[i]!);
    await until(() => transports[0]!.peers().length === 1, 'peers');
    transports[0]!.publish(writes('n0', 1, 3));
    await until(() => hosts[1]!.received.length === 3, 'the writes at n1');
  } finally {
    for (const t of transports) await t.close();
  }
}

async function refused(url: string, credentials: NatsCredentials, extra: Partial<{ connectTimeoutMs: number }> = {}): Promise<unknown> {
  const t = new NatsTransport({ nodeId: 'x', clusterId: 'c', servers: [url], credentials, stream: false, connectTimeoutMs: 3_000, ...extra });
  try {
    await t.start(new RecordingHost());
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await t.close();
  }
}

describe('credentials', () => {
  it('user and password', async () => {
    const s = await server('authorization { user: alice, password: wonderland }');
    await replicates(s.url, { user: 'alice', pass: 'wonderland' });
    expect(await refused(s.url, { user: 'alice', pass: 'wrong' })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await refused(s.url, {})).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('token', async () => {
    const s = await server('authorization { token: s3cret-token }');
    await replicates(s.url, { token: 's3cret-token' });
    expect(await refused(s.url, { token: 'other' })).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('nkey', async () => {
    const user = nkeys.createUser();
    const s = await server(`authorization { users: [ { nkey: ${user.getPublicKey()} } ] }`);
    await replicates(s.url, { nkeySeed: new TextDecoder().decode(user.getSeed()) });
    expect(await refused(s.url, { nkeySeed: new TextDecoder().decode(nkeys.createUser().getSeed()) })).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('TLS with a private CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statemesh-nats-tls-'));
    dirs.push(dir);
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=statemesh test CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > ext.cnf'], { cwd: dir });
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
    const s = await server(`tls { cert_file: "${join(dir, 'server.pem')}", key_file: "${join(dir, 'server.key')}" }`);
    await replicates(s.url, { tls: { caFile: join(dir, 'ca.pem') } });
    // Without the CA the server's certificate is not trusted.
    expect(await refused(s.url, { tls: {} })).toMatchObject({ code: 'IO_ERROR' });
  });

  it('a user confined to its cluster by subject permissions replicates there', async () => {
    const allow = '["statemesh.c1.>", "_INBOX.>"]';
    const s = await server(`authorization { users: [ { user: site, password: pw, permissions: { publish: ${allow}, subscribe: ${allow} } } ] }`);
    await expect(replicates(s.url, { user: 'site', pass: 'pw' }, 'c1')).resolves.toBeUndefined();
  });
});
