// A vector claims writes only within the scope it was built under (DESIGN section 2, issue 13 finding 2): a node
// with a dataDir restarted with wider interests drops its claims of other nodes' writes, durably, before it talks
// to anyone, so that a stop before the next catch-up still leaves them to fetch.
import { join as joinPath } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Session } from '@statemesh/session';
import { testCluster, waitFor, type TestCluster } from './cluster.ts';

let cluster: TestCluster;
afterEach(async () => cluster?.close());

const originOf = (session: Session, node: string): string => Object.keys(session.vector()).find((origin) => origin.split('~')[0] === node)!;

it('wider interests re-fetch what the old ones turned away, even after a start that stopped before any catch-up; narrowing is recorded too', async () => {
  cluster = testCluster();
  const dataDir = joinPath(cluster.dir, 'data-x');
  const p = await cluster.start('p');
  const x = await cluster.start('x', ['p'], { dataDir, interests: ['a'] });
  p.set('a.k1', 1);
  p.set('b.k1', 1);
  const last = p.set('a.k2', 2);
  await waitFor('x to count every write of p', () => (x.vector()[last.origin] ?? 0) >= last.seq);
  expect(x.get('b.k1')).toBeUndefined();
  await x.close();

  // Wider, with no peer: nothing is fetched, and the claims of p's writes are gone from disk already.
  const alone = await cluster.start('x', [], { dataDir, interests: ['a', 'b'] });
  expect(alone.vector()[last.origin]).toBeUndefined();
  expect(alone.get('a.k2')?.value).toBe(2);
  await alone.close();
  const wide = await cluster.start('x', ['p'], { dataDir, interests: ['a', 'b'] });
  await waitFor('x to fetch b.k1', () => wide.get('b.k1')?.value === 1);
  expect(originOf(wide, 'p')).toBe(last.origin);
  await wide.close();

  // Narrower again (its claims of b writes now stand for nothing), then wide: what b got meanwhile comes too.
  const narrow = await cluster.start('x', ['p'], { dataDir, interests: ['a'] });
  p.set('b.k2', 2);
  const a3 = p.set('a.k3', 3);
  await waitFor('x to count b.k2 as seen', () => (narrow.vector()[a3.origin] ?? 0) >= a3.seq);
  expect(narrow.get('b.k2')).toBeUndefined();
  await narrow.close();
  const again = await cluster.start('x', ['p'], { dataDir, interests: ['b', 'a'] });
  await waitFor('x to fetch b.k2', () => again.get('b.k2')?.value === 2);
  expect(again.digest()).toBe(p.digest());
});

it('a catch-up from a peer with narrower interests does not raise the vector over what that peer turned away', async () => {
  cluster = testCluster();
  const p = await cluster.start('p');
  const q = await cluster.start('q', ['p'], { interests: ['a'] });
  p.set('b.k1', 1);
  const last = p.set('a.k1', 1);
  await waitFor('q to count both writes of p', () => (q.vector()[last.origin] ?? 0) >= last.seq);
  // x takes a and b; its only peer at first is q, whose vector claims b.k1 without holding it.
  const x = await cluster.start('x', ['q', 'r'], { interests: ['a', 'b'], joinTimeoutMs: 500, antiEntropyIntervalMs: 300 });
  await waitFor('x to catch up from q', () => x.get('a.k1')?.value === 1 && x.metrics().catchUps.completed >= 1);
  expect(x.vector()[last.origin]).toBeUndefined();
  // r, which holds everything, comes up: x's catch-up from it brings b.k1.
  await cluster.start('r', ['p']);
  await waitFor('x to link to r', () => x.status().peers.some((peer) => peer.node === 'r' && peer.state === 'up'), 30_000);
  await waitFor('x to get b.k1 from r', () => x.get('b.k1')?.value === 1, 30_000);
});
