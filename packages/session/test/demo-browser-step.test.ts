// The cluster demo's browser step (`pnpm demo --web`): node a takes WebSocket links with a token; the step hands
// its URL and token to whoever serves the viewer, and the cluster stays up until `done`. Here a browser-entry
// session (on `ws`, as Node 20 has no global WebSocket) joins it, sees the demo's volume, and a wrong token is
// refused.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { join as browserJoin, type Session } from '@statemesh/session/browser';
import { runClusterDemo } from '@statemesh/session/demo';
import type { WebSocketConstructor } from '@statemesh/transport-websocket/browser';

describe('the cluster demo with a browser step', () => {
  it('serves node a over WebSocket with a token until done, then ends as the plain demo does', async () => {
    const seen: { volumeType?: string; refused?: string | undefined; endpoint?: { websocketUrl: string; volume: string } } = {};
    let closed = false;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const result = await runClusterDemo({
      print: () => undefined,
      volumeDims: [64, 64, 64],
      probes: 20,
      missedWrites: 50,
      cameraSteps: 2,
      browser: {
        async serve(endpoint) {
          seen.endpoint = { websocketUrl: endpoint.websocketUrl, volume: endpoint.volume };
          const options = { WebSocket: WebSocket as unknown as WebSocketConstructor, log: () => undefined };
          const refused = await browserJoin({ clusterId: endpoint.clusterId, nodeId: 'intruder', seeds: [endpoint.websocketUrl], token: 'not-the-token', requirePeers: 1, joinTimeoutMs: 2000 }, options).catch((error: { code: string }) => error);
          seen.refused = (refused as { code?: string }).code;
          const tab: Session = await browserJoin({ clusterId: endpoint.clusterId, nodeId: 'tab', seeds: [endpoint.websocketUrl], token: endpoint.token, hydrate: 'lazy', requirePeers: 1, joinTimeoutMs: 10_000 }, options);
          try {
            seen.volumeType = (await tab.waitForData(endpoint.volume, 10_000)).type;
          } finally {
            await tab.close();
          }
          release();
          return { url: 'http://127.0.0.1:1/#token=...', close: async () => void (closed = true) };
        },
        done,
      },
    });
    expect(seen.endpoint?.websocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/statemesh$/);
    expect(seen.refused).toBe('UNAUTHENTICATED');
    expect(seen.volumeType).toBe('brick-manifest');
    expect(closed).toBe(true);
    expect(result.digest).toMatch(/^[0-9a-f]+$/);
  }, 120_000);
});
