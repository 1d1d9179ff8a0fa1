import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IpcTransport } from '@statemesh/transport-ipc';
import { SimpleHost, mutation } from './fixtures/simple-host.ts';

const dir = mkdtempSync(join(tmpdir(), 'smipc-'));
afterEach(() => {});

describe('smoke', () => {
  it('two nodes exchange mutations', async () => {
    const a = new IpcTransport({ nodeId: 'a', clusterId: 'c', listen: join(dir, 'a.sock') });
    const ha = new SimpleHost();
    await a.start(ha);
    const b = new IpcTransport({ nodeId: 'b', clusterId: 'c', seeds: [a.address()!] });
    const hb = new SimpleHost();
    await b.start(hb);
    await ha.until(() => ha.upPeers().includes('b'));
    await hb.until(() => hb.upPeers().includes('a'));
    expect(a.publish([mutation('a', 1), mutation('a', 2)])).toBe(1);
    await hb.until(() => hb.mutations().length === 2);
    expect(hb.mutations().map((m) => m.seq)).toEqual([1, 2]);
    await b.close();
    await a.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
