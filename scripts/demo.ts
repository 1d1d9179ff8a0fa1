// The project's main job: the cluster demo of @statemesh/session (three node processes on this machine).
// Exits 0 when every step held and every replica ended equal; otherwise non-zero with the reason.
// `pnpm demo --web` adds a browser step: it serves the viewer (@statemesh/viewer) for node a, prints its URL, and
// keeps the cluster running until Ctrl-C.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runClusterDemo, type ClusterDemoBrowser } from '@statemesh/session/demo';
import { serveViewer } from '@statemesh/viewer';

// Ctrl-C before the browser step ends the demo at once, as without --web; during it, it ends the demo cleanly.
let viewing = false;
const browser: ClusterDemoBrowser | undefined = process.argv.includes('--web')
  ? {
      async serve({ clusterId, volume, websocketUrl, token }) {
        viewing = true;
        const handler = await serveViewer({ clusterId, volume, websocketUrl });
        const server = createServer((request, response) => {
          if (!handler(request, response)) response.writeHead(404).end();
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return {
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/#token=${encodeURIComponent(token)}`,
          close: async () => {
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
          },
        };
      },
      done: new Promise<void>((resolve) => {
        // A terminal's Ctrl-C reaches this process twice (from the terminal and forwarded by tsx): the signals
        // after the first are ignored while the demo closes its nodes and removes its folder.
        const stop = (): void => {
          if (viewing) resolve();
          else process.exit(130);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }),
    }
  : undefined;

try {
  await runClusterDemo({ browser });
  console.log('\ncluster demo: passed');
} catch (error) {
  console.error(`\ncluster demo: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
