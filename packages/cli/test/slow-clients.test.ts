// Memory held for event-stream clients that stop reading is bounded (DESIGN section 7): three /events and three
// /v1/watch clients on real sockets that never read, 100 000 writes; each is dropped once it is 1 MiB behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startNode } from '@statemesh/cli';

const TOKEN = 'token-slow-clients';
const MiB = 1024 * 1024;

/** Opens a stream with a raw request, waits for its first bytes, then stops reading for good. */
function stalledClient(url: string, path: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`);
    });
    // A small receive buffer, so the node's side fills soon; then no more reads.
    socket.once('data', () => {
      socket.pause();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

it('three /events and three /v1/watch clients that never read do not grow the node over 100 000 writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'statemesh-cli-slow-'));
  const node = await startNode({ clusterId: 'slow', nodeId: 'n', listen: join(dir, 'n.sock'), admin: { listen: '127.0.0.1:0', token: TOKEN }, http: { port: 0 } });
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      sockets.push(await stalledClient(node.httpUrl!, '/events'), await stalledClient(node.adminUrl!, '/v1/watch?prefix='));
    }
    expect(node.streamStats().open).toBe(6);
    const rssBefore = process.memoryUsage().rss;
    let peakQueued = 0;
    const payload = { note: 'x'.repeat(200) };
    for (let write = 0; write < 100_000; write++) {
      node.session.set(`load.k${write % 1000}`, { ...payload, write });
      if (write % 500 === 499) {
        // Let the batches out to the sockets, as a running node would between requests.
        await new Promise((resolve) => setImmediate(resolve));
        peakQueued = Math.max(peakQueued, node.streamStats().queuedBytes);
      }
    }
    const stats = node.streamStats();
    const grown = process.memoryUsage().rss - rssBefore;
    // Without the bound (measured): 192 MiB queued and the process 500 MiB larger; with it, about 4 MiB and 50 MiB.
    expect({ open: stats.open, dropped: stats.dropped }).toEqual({ open: 0, dropped: 6 });
    expect(peakQueued).toBeLessThan(6 * (MiB + 64 * 1024));
    expect(grown).toBeLessThan(150 * MiB);
  } finally {
    for (const socket of sockets) socket.destroy();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
