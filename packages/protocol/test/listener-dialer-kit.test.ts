// What every listener and dialer does alike, written once in protocol: admitting a connection by its token before
// a link exists (time limit, bound on connections waiting, counts), the token option rule, binding, and dialling
// with an AbortSignal and a time limit.
import { describe, expect, it } from 'vitest';
import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import { AdmissionGate, bindListener, checkLinkToken, dialAttempt, type AdmissionRefusal, type DialProgress } from '@statemesh/protocol';
import { ManualTimers } from './fixtures/manual-timers.ts';

const SOURCE = '@statemesh/test';
const TOKEN = 'the-expected-token';

function gate(options: { maxPending?: number; expectedToken?: string | undefined } = {}) {
  const timers = new ManualTimers();
  const refused: AdmissionRefusal[] = [];
  const admission = new AdmissionGate({ expectedToken: TOKEN, timeoutMs: 1000, timers, ...options });
  return { timers, refused, admission, wait: () => admission.wait((why) => refused.push(why)) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('AdmissionGate', () => {
  it('admits the right token, refuses a wrong or missing one, and counts each', () => {
    const { admission, refused, wait } = gate();
    expect(wait()!.present(TOKEN)).toBe(true);
    expect(wait()!.present(new TextEncoder().encode(TOKEN))).toBe(true);
    expect(wait()!.present('the-expected-tokeN')).toBe(false);
    expect(wait()!.present(undefined)).toBe(false);
    expect(refused).toEqual(['token', 'token']);
    expect(admission.stats()).toEqual({ admitted: 2, refusedToken: 2, refusedMalformed: 0, refusedBusy: 0, timeouts: 0, pending: 0 });
  });

  it('refuses a connection that presents nothing within the time limit, and one whose first message is not a token', async () => {
    const { admission, refused, timers, wait } = gate();
    const silent = wait()!;
    wait()!.malformed();
    await timers.advance(999);
    expect(refused).toEqual(['malformed']);
    await timers.advance(1);
    expect(refused).toEqual(['malformed', 'timeout']);
    expect(silent.present(TOKEN)).toBe(false); // too late: settled, and counted once
    expect(admission.stats()).toMatchObject({ admitted: 0, refusedToken: 0, refusedMalformed: 1, timeouts: 1, pending: 0 });
    expect(timers.size).toBe(0);
  });

  it('bounds the connections waiting: one more is refused at once as busy; a settled one frees its place', () => {
    const { admission, refused, wait } = gate({ maxPending: 2 });
    const first = wait()!;
    wait();
    expect(wait()).toBeUndefined();
    expect(refused).toEqual(['busy']);
    first.abandon(); // went away: frees its place, counted nowhere
    expect(wait()).toBeDefined();
    expect(admission.stats()).toMatchObject({ refusedBusy: 1, pending: 2, admitted: 0, refusedToken: 0 });
  });

  it('refuses every connection still waiting when closed, and clears their timers', async () => {
    const { admission, refused, timers, wait } = gate();
    wait();
    wait();
    admission.close();
    expect(refused).toEqual(['closing', 'closing']);
    expect(timers.size).toBe(0);
    await timers.advance(5000);
    expect(refused).toEqual(['closing', 'closing']);
    expect(admission.stats().pending).toBe(0);
  });

  it('without an expected token admits any presentation; check() judges a token presented with the connection', () => {
    const open = gate({ expectedToken: undefined });
    expect(open.wait()!.present(undefined)).toBe(true);
    const { admission } = gate();
    expect([admission.check(TOKEN), admission.check('nope'), admission.check(undefined)]).toEqual([true, false, false]);
    expect(admission.stats()).toMatchObject({ admitted: 1, refusedToken: 2, pending: 0 });
  });
});

describe('checkLinkToken', () => {
  it('takes 8 to 1024 bytes for an expected token, 1 to 1024 for a presented one, printable ASCII where headers carry it', () => {
    expect(checkLinkToken(SOURCE, 'token', undefined, { expected: true })).toBeUndefined();
    expect(checkLinkToken(SOURCE, 'token', 'eight-by', { expected: true })).toBe('eight-by');
    expect(checkLinkToken(SOURCE, 'token', 'wrong', { expected: false })).toBe('wrong');
    expect(checkLinkToken(SOURCE, 'token', 'é'.repeat(512), { expected: true })).toHaveLength(512); // 1024 bytes
    const refusals: [unknown, { expected: boolean; headerSafe?: boolean }][] = [
      ['seven-b', { expected: true }],
      ['', { expected: false }],
      ['é'.repeat(513), { expected: false }],
      [12345678, { expected: true }],
      ['has a space in it', { expected: true, headerSafe: true }],
    ];
    for (const [token, rule] of refusals) {
      let thrown: unknown;
      try {
        checkLinkToken(SOURCE, 'auth.expectedToken', token, rule);
      } catch (error) {
        thrown = error;
      }
      expect(isStatemeshError(thrown, 'INVALID_CONFIG')).toBe(true);
      expect((thrown as Error).message).toMatch(/^@statemesh\/test: auth.expectedToken must be a string of (8|1) to 1024 bytes/);
    }
  });
});

describe('bindListener', () => {
  it('resolves with the port the medium got, and turns its error into IO_ERROR saying what to do', async () => {
    expect(await bindListener(SOURCE, '127.0.0.1:0', (done) => done(null, 43121))).toBe(43121);
    const error = await rejection(bindListener(SOURCE, '127.0.0.1:7000', (done) => done(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }))));
    expect(isStatemeshError(error, 'IO_ERROR')).toBe(true);
    expect((error as Error).message).toBe(`${SOURCE}: cannot listen on 127.0.0.1:7000 (EADDRINUSE); choose another address`);
    const numeric = await rejection(bindListener(SOURCE, 'x:1', (done) => done({ code: 14, message: 'No address added out of total 1 resolved' })));
    expect((numeric as Error).message).toContain('(No address added out of total 1 resolved)');
  });
});

describe('dialAttempt', () => {
  /** A medium whose connection the test completes or fails by hand; counts drops. */
  function medium() {
    const state: { progress?: DialProgress<string>; dropped: number } = { dropped: 0 };
    const start = (progress: DialProgress<string>) => {
      state.progress = progress;
      return () => void state.dropped++;
    };
    return { state, start };
  }

  it('resolves with the link the medium connected, and never drops it', async () => {
    const { state, start } = medium();
    const dialing = dialAttempt({ source: SOURCE, address: 'x' }, start);
    state.progress!.connected('link');
    state.progress!.failed({ code: 'ECONNRESET' }); // after the first report: ignored
    expect(await dialing).toBe('link');
    expect(state.dropped).toBe(0);
  });

  it("turns the medium's error into IO_ERROR asking whether the node runs; passes a StatemeshError as it is; drops", async () => {
    const a = medium();
    const refused = dialAttempt({ source: SOURCE, address: 'tcp://127.0.0.1:1' }, a.start);
    a.state.progress!.failed(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const error = await rejection(refused);
    expect(isStatemeshError(error, 'IO_ERROR')).toBe(true);
    expect((error as Error).message).toBe(`${SOURCE}: cannot connect to tcp://127.0.0.1:1 (ECONNREFUSED); is the node there running?`);
    expect((error as StatemeshError).details).toEqual({ address: 'tcp://127.0.0.1:1' });
    expect(a.state.dropped).toBe(1);
    const b = medium();
    const unauthenticated = dialAttempt({ source: SOURCE, address: 'y' }, b.start);
    b.state.progress!.failed(new StatemeshError('UNAUTHENTICATED', 'check the token'));
    expect(isStatemeshError(await rejection(unauthenticated), 'UNAUTHENTICATED')).toBe(true);
  });

  it('is CANCELLED at once by an aborted signal (nothing opened), or later by an abort (what was opened dropped)', async () => {
    const before = medium();
    const aborted = new AbortController();
    aborted.abort();
    const early = await rejection(dialAttempt({ source: SOURCE, address: 'x', signal: aborted.signal }, before.start));
    expect(isStatemeshError(early, 'CANCELLED')).toBe(true);
    expect((early as Error).message).toBe(`${SOURCE}: dialling x was cancelled`);
    expect(before.state.progress).toBeUndefined();
    const later = medium();
    const controller = new AbortController();
    const dialing = dialAttempt({ source: SOURCE, address: 'x', signal: controller.signal }, later.start);
    controller.abort();
    expect(isStatemeshError(await rejection(dialing), 'CANCELLED')).toBe(true);
    expect(later.state.dropped).toBe(1);
  });

  it('gives up with TIMEOUT after timeoutMs, dropping what was opened', async () => {
    const timers = new ManualTimers();
    const { state, start } = medium();
    const dialing = rejection(dialAttempt({ source: SOURCE, address: 'ws://x/statemesh', timeoutMs: 500, timers }, start));
    await timers.advance(500);
    const error = await dialing;
    expect(isStatemeshError(error, 'TIMEOUT')).toBe(true);
    expect((error as Error).message).toBe(`${SOURCE}: ws://x/statemesh did not accept the connection within 500 ms`);
    expect(state.dropped).toBe(1);
    expect(timers.size).toBe(0);
  });

  it('drops what a medium opened when it fails before returning, and when it throws', async () => {
    let dropped = 0;
    const failing = dialAttempt<string>({ source: SOURCE, address: 'x' }, (progress) => {
      progress.failed({ message: 'at once' });
      return () => void dropped++;
    });
    expect(isStatemeshError(await rejection(failing), 'IO_ERROR')).toBe(true);
    expect(dropped).toBe(1);
    const throwing = dialAttempt<string>({ source: SOURCE, address: 'x' }, () => {
      throw new Error('bad url');
    });
    expect((await rejection(throwing) as Error).message).toBe(`${SOURCE}: cannot connect to x (bad url); is the node there running?`);
  });
});
