import { describe, expect, it } from 'vitest';
import { StatemeshError } from '@statemesh/contracts';
import { fetchFromPeers, sha256Hex, type PeerFetchOptions } from '@statemesh/blob-store';
import { seededBytes } from './seeded-bytes.ts';

const blob = seededBytes(3000, 5);
const digest = sha256Hex(blob);
const wrong = seededBytes(3000, 6);

/** Options whose peers answer as `answers` says; records whom it asked and whom it caught sending wrong bytes. */
function peersAnswering(answers: Record<string, () => Promise<Uint8Array>>, signal = new AbortController().signal) {
  const asked: string[] = [];
  const liars: string[] = [];
  const options: PeerFetchOptions = {
    source: '@statemesh/test',
    signal,
    ask: (peer) => {
      asked.push(peer);
      return answers[peer]!();
    },
    onWrongBytes: (peer, actual) => void liars.push(`${peer} ${actual}`),
    cancelled: () => new StatemeshError('CANCELLED', '@statemesh/test: cancelled'),
  };
  return { asked, liars, options };
}

const none = () => Promise.reject(new StatemeshError('CHUNK_NOT_FOUND', 'not here'));
const late = () => Promise.reject(new StatemeshError('TIMEOUT', 'too slow'));
const lies = () => Promise.resolve(wrong);
const right = () => Promise.resolve(blob);

describe('fetchFromPeers', () => {
  it('asks the peers in their order, past one without a copy and one that lies, and returns the verified bytes', async () => {
    const { asked, liars, options } = peersAnswering({ a: none, b: lies, c: right, d: right });
    const fetched = await fetchFromPeers(digest, ['a', 'b', 'c', 'd'], options);
    expect(fetched.peer).toBe('c');
    expect(Buffer.from(fetched.bytes).equals(blob)).toBe(true);
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(liars).toEqual([`b ${sha256Hex(wrong)}`]);
  });

  it('names why each peer failed: CHUNK_DIGEST_MISMATCH when all lied, TIMEOUT when one was late, else CHUNK_NOT_FOUND', async () => {
    const cases: Array<[Record<string, () => Promise<Uint8Array>>, string]> = [
      [{ a: lies, b: lies }, 'CHUNK_DIGEST_MISMATCH'],
      [{ a: none, b: late, c: lies }, 'TIMEOUT'],
      [{ a: none, b: lies }, 'CHUNK_NOT_FOUND'],
    ];
    for (const [answers, code] of cases) {
      const { options } = peersAnswering(answers);
      const error = await fetchFromPeers(digest, Object.keys(answers), options).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'StatemeshError', code, details: { digest } });
      expect((error as Error).message).toMatch(/^@statemesh\/test: no peer gave blob [0-9a-f]{64} \(a: /);
    }
  });

  it('refuses with NO_PEERS when there is nobody to ask, and with the caller’s CANCELLED once the signal aborts', async () => {
    const { asked, options } = peersAnswering({ a: right });
    await expect(fetchFromPeers(digest, [], options)).rejects.toMatchObject({ code: 'NO_PEERS' });
    const abort = new AbortController();
    const aborting = peersAnswering(
      {
        a: () => {
          abort.abort();
          return none();
        },
        b: right,
      },
      abort.signal,
    );
    await expect(fetchFromPeers(digest, ['a', 'b'], aborting.options)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(aborting.asked).toEqual(['a']);
    expect(asked).toEqual([]);
  });
});
