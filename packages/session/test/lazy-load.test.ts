// An IPC-only join() never loads gRPC: a child process joins over IPC and lists the CommonJS modules it loaded
// (grpc-js is CommonJS, so it lands in the module cache whoever imports it); the same probe after a gRPC join
// must find it, which proves the probe can see it.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startNatsServer } from '@statemesh/transport-nats/testing';
import { freePort } from './cluster.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

async function loadedModulesAfterJoin(config: string): Promise<string[]> {
  const dir = join(packageDir, '.tmp', `lazy-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'child.ts');
  writeFileSync(
    script,
    `
import { createRequire } from 'node:module';
import { join } from '@statemesh/session';
const session = await join(${config.replaceAll('$DIR', dir)}, { log: () => undefined });
session.set('x', 1);
await session.close();
console.log('MODULES ' + JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
`,
  );
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', script], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    const line = output.split('\n').find((l) => l.startsWith('MODULES '));
    expect(line, `the child failed (exit ${code}): ${output}`).toBeDefined();
    return JSON.parse(line!.slice('MODULES '.length)) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('optional transports load lazily', () => {
  it('an IPC-only join() does not load @grpc/grpc-js; a gRPC one does', { timeout: 60_000 }, async () => {
    const ipcOnly = await loadedModulesAfterJoin(`{ clusterId: 'l', nodeId: 'a', listen: '$DIR/a.sock' }`);
    expect(ipcOnly.filter((path) => path.includes('@grpc'))).toEqual([]);
    expect(ipcOnly.length).toBeGreaterThan(0); // protobufjs and friends are CommonJS too: the probe sees modules
    const withGrpc = await loadedModulesAfterJoin(`{ clusterId: 'l', nodeId: 'a', transport: 'grpc', listen: '127.0.0.1:${await freePort()}' }`);
    expect(withGrpc.some((path) => path.includes('@grpc/grpc-js'))).toBe(true);
  });

  it('an IPC-only join() does not load the NATS client; a NATS one does', { timeout: 60_000 }, async () => {
    const ipcOnly = await loadedModulesAfterJoin(`{ clusterId: 'l', nodeId: 'a', listen: '$DIR/a.sock' }`);
    expect(ipcOnly.filter((path) => path.includes('@nats-io'))).toEqual([]);
    const server = await startNatsServer({ jetstream: false });
    try {
      const withNats = await loadedModulesAfterJoin(`{ clusterId: 'l', nodeId: 'a', transport: 'nats', nats: { servers: ['${server.url}'], stream: false } }`);
      expect(withNats.some((path) => path.includes('@nats-io/transport-node'))).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
