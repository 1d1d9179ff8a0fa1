// What a dialler announces to the server it calls: an HTTP/2 receive window large enough for a whole batch, so a
// server sending 4 MiB batches does not wait for a window update every 32 KiB (HTTP/2's default window is 64 KiB).
import { createServer, type ServerHttp2Session, type Settings } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { grpcDialer, GRPC_MAX_FRAME_BYTES } from '@statemesh/transport-grpc';
import { expect, it } from 'vitest';

it('a dialler announces a receive window over a whole frame of the largest size', async () => {
  // A plain HTTP/2 server, to read the SETTINGS the dialler sends; it answers the call with a refusal.
  const server = createServer();
  const settings = new Promise<Settings>((resolve) => server.on('session', (session: ServerHttp2Session) => session.once('remoteSettings', resolve)));
  server.on('stream', (stream) => stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14' }, { endStream: true }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const dialing = grpcDialer(`127.0.0.1:${(server.address() as AddressInfo).port}`).dial();
    const announced = await settings;
    await dialing.catch(() => undefined); // refused: only what it announced matters here
    expect(announced.initialWindowSize).toBeGreaterThan(GRPC_MAX_FRAME_BYTES);
  } finally {
    server.close();
  }
});
