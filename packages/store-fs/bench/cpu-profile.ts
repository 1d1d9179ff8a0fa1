// A CPU profile of part of a benchmark, for Chrome's DevTools. Shared by the profile scripts here and
// packages/session/bench/restart.ts.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Starts profiling when `out` is set; the returned function stops and writes the profile to `out` (a no-op without). */
export async function startCpuProfile(out: string | undefined): Promise<() => Promise<void>> {
  if (out === undefined) return () => Promise.resolve();
  const inspector = new Session();
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.start');
  return async () => {
    const { profile } = await inspector.post('Profiler.stop');
    await writeFile(out, JSON.stringify(profile));
    inspector.disconnect();
  };
}
