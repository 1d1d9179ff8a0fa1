import { spawnSync } from 'node:child_process';

/** Runs the `zstd` command-line tool with `args`, feeding `input` on stdin; returns stdout. Fails clearly when it is absent. */
export function zstdCli(args: readonly string[], input?: Uint8Array): Uint8Array {
  const result = spawnSync('zstd', args, { input, maxBuffer: 512 * 1024 * 1024, timeout: 60_000 });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'the zstd command-line tool is not on PATH: install the zstd Debian package (apt-get install -y zstd); the interop tests need it'
        : `zstd ${args.join(' ')} failed to run: ${result.error.message}`,
    );
  }
  if (result.status !== 0) throw new Error(`zstd ${args.join(' ')} exited with ${String(result.status)}: ${result.stderr.toString()}`);
  return new Uint8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength);
}
