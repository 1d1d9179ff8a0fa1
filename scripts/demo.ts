// The project's main job: the cluster demo of @statemesh/session (three node processes on this machine).
// Exits 0 when every step held and every replica ended equal; otherwise non-zero with the reason.
import { runClusterDemo } from '@statemesh/session/demo';

try {
  await runClusterDemo();
  console.log('\ncluster demo: passed');
} catch (error) {
  console.error(`\ncluster demo: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
