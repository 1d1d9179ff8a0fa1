#!/usr/bin/env node
// Installs the Debian packages the tests use, when missing: the zstd CLI (interop tests), openssl (throwaway
// certificates), protoc + Python grpcio and protobuf (the gRPC and IPC interop clients), promtool (metrics check), chromium (the
// dashboard, the session's browser entry and the viewer), nats-server (transport-nats starts its own servers),
// iproute2 (network namespaces of the partition test).
// Only the tools of packages present in this checkout are required. As root with apt-get it installs them;
// otherwise it prints the apt-get line to run and fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const has = (pkg) => existsSync(`${root}packages/${pkg}/package.json`);
const works = (command, args = ['--version']) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

const tools = [
  { debian: ['zstd'], needed: has('codec-zstd'), present: () => works('zstd') },
  { debian: ['openssl'], needed: has('transport-grpc'), present: () => works('openssl', ['version']) },
  { debian: ['protobuf-compiler'], needed: has('transport-grpc') || has('cli'), present: () => works('protoc') },
  // Debian's grpc module is importable from Debian's own python3, not necessarily from the first python3 on PATH.
  { debian: ['python3-grpcio', 'python3-protobuf'], needed: has('transport-grpc'), present: () => works('/usr/bin/python3', ['-c', 'import grpc, google.protobuf']) },
  // cli's IPC interop peer (test/interop/ipc_peer.py) needs protobuf only.
  { debian: ['python3-protobuf'], needed: has('cli'), present: () => works('/usr/bin/python3', ['-c', 'import google.protobuf']) },
  { debian: ['prometheus'], needed: has('cli'), present: () => works('promtool') },
  { debian: ['chromium'], needed: has('cli') || has('viewer') || has('session'), present: () => existsSync('/usr/bin/chromium') },
  { debian: ['nats-server'], needed: has('transport-nats'), present: () => works('nats-server', ['--version']) },
  // `ip netns` and veth pairs: the CLI's partition test (packages/cli/test/netns-partition.test.ts).
  { debian: ['iproute2'], needed: has('cli'), present: () => works('/usr/sbin/ip', ['-V']) },
];

const missing = [...new Set(tools.filter((tool) => tool.needed && !tool.present()).flatMap((tool) => tool.debian))];
if (missing.length === 0) {
  console.log('system-deps: every tool the tests use is present');
  process.exit(0);
}
const isRoot = process.getuid?.() === 0;
if (!isRoot || !works('apt-get', ['--version'])) {
  console.error(`system-deps: missing Debian packages: ${missing.join(' ')}\n  install them with: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
console.log(`system-deps: installing ${missing.join(' ')} ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
console.log('system-deps: done');
