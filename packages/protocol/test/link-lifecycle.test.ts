// The close of a link, written once for every transport: what the engine sees of end, destroy, bad input and the
// medium's own close, whatever the medium.
import { describe, expect, it } from 'vitest';
import { StatemeshError, type ErrorCode, type LinkEvents, type LinkFrame } from '@statemesh/contracts';
import { LinkLifecycle, type LinkMedium } from '@statemesh/protocol';
import { IpcFrameReader, encodeRawIpcFrame } from '@statemesh/wire';
import { ManualTimers } from './fixtures/manual-timers.js';

const frame = (kind: number): LinkFrame => ({ kind, version: 1, body: new Uint8Array([kind]) });

/** A medium that records what the lifecycle asked of it; the test plays its close event with `life.finish`. */
function medium() {
  const calls: string[] = [];
  const cuts: Array<{ reason: string; code: ErrorCode | undefined; badInput: StatemeshError | undefined }> = [];
  const media: LinkMedium = {
    close: (reason, code) => void calls.push(`close ${reason}${code === undefined ? '' : ` ${code}`}`),
    cut: (reason, code, badInput) => {
      calls.push(`cut ${reason}${code === undefined ? '' : ` ${code}`}`);
      cuts.push({ reason, code, badInput });
    },
    finished: () => void calls.push('finished'),
  };
  return { calls, cuts, media };
}

function recorder() {
  const seen: string[] = [];
  const errors: Array<StatemeshError | undefined> = [];
  const events: LinkEvents = {
    frame: (f) => void seen.push(`frame ${f.kind}`),
    drain: () => void seen.push('drain'),
    closed: (reason, error) => {
      seen.push(`closed: ${reason}`);
      errors.push(error);
    },
  };
  return { seen, errors, events };
}

describe('LinkLifecycle', () => {
  it('reports the close once, after the frames that arrived before it, with the first reason kept', () => {
    const { calls, media } = medium();
    const life = new LinkLifecycle(media, { timers: new ManualTimers() });
    life.receive(() => [frame(1), frame(2)]); // before open: held
    life.note('socket error ECONNRESET');
    life.end('shutting down');
    expect(life.isClosing).toBe(true);
    life.finish('the connection closed');
    life.finish('again');
    const { seen, events } = recorder();
    life.open(events);
    expect(seen).toEqual(['frame 1', 'frame 2', 'closed: socket error ECONNRESET']);
    expect(calls).toEqual(['close shutting down', 'finished']);
    expect(life.isClosed).toBe(true);
  });

  it('cuts the medium when the grace of end runs out, and not when the medium closed in time', async () => {
    const timers = new ManualTimers();
    const slow = medium();
    const life = new LinkLifecycle(slow.media, { timers });
    const { seen, events } = recorder();
    life.open(events);
    life.end('bye', 500, 'CLUSTER_MISMATCH');
    life.end('twice'); // idempotent
    await timers.advance(499);
    expect(slow.calls).toEqual(['close bye CLUSTER_MISMATCH']);
    await timers.advance(1);
    expect(slow.calls).toEqual(['close bye CLUSTER_MISMATCH', 'cut bye']);
    life.receive(() => [frame(3)]); // after the cut nothing is read
    life.finish('the connection closed');
    expect(seen).toEqual(['closed: bye']);

    const quick = medium();
    const other = new LinkLifecycle(quick.media, { timers });
    other.end('bye', 500);
    other.finish('the other side answered');
    await timers.advance(1_000);
    expect(quick.calls).toEqual(['close bye', 'finished']);
    expect(timers.size).toBe(0);
  });

  it('destroy drops the frames not yet delivered and cuts with the refusal code', () => {
    const { calls, media } = medium();
    const life = new LinkLifecycle(media, { timers: new ManualTimers() });
    life.receive(() => [frame(1), frame(2)]);
    life.destroy('refused', 'VERSION_MISMATCH');
    life.receive(() => [frame(3)]);
    life.drain();
    life.finish('the connection closed');
    const { seen, events } = recorder();
    life.open(events);
    expect(seen).toEqual(['closed: refused']);
    expect(calls).toEqual(['cut refused VERSION_MISMATCH', 'finished']);
  });

  it('turns bytes a frame reader refuses into the close error and a cut, after the frames before them', () => {
    const { cuts, media } = medium();
    const life = new LinkLifecycle(media, { timers: new ManualTimers() });
    const { seen, errors, events } = recorder();
    life.open(events);
    const reader = new IpcFrameReader({ maxFrameBytes: 1024 });
    life.receive(() => reader.push(encodeRawIpcFrame(frame(7))));
    life.receive(() => reader.push(new TextEncoder().encode('GET / HTTP/1.1\r\n')));
    let readAgain = false;
    life.receive(() => {
      readAgain = true;
      return [frame(8)];
    });
    life.finish('the connection closed');
    expect(readAgain).toBe(false);
    expect(cuts).toHaveLength(1);
    expect(cuts[0]!.code).toBe('BAD_MAGIC');
    expect(cuts[0]!.badInput?.code).toBe('BAD_MAGIC');
    expect(seen).toEqual(['frame 7', expect.stringMatching(/^closed: bad input: @statemesh\/wire: the stream does not start a statemesh IPC frame/)]);
    expect(errors[0]?.code).toBe('BAD_MAGIC');
  });

  it('reports a reader that throws something else as MALFORMED_FRAME', () => {
    const { cuts, media } = medium();
    const life = new LinkLifecycle(media, { timers: new ManualTimers() });
    const { errors, events } = recorder();
    life.open(events);
    life.receive(() => {
      throw new RangeError('offset out of bounds');
    });
    life.finish('the connection closed');
    expect(cuts[0]!.code).toBe('MALFORMED_FRAME');
    expect(errors[0]).toBeInstanceOf(StatemeshError);
    expect(errors[0]?.message).toMatch(/offset out of bounds/);
  });

  it('with reportLater, reports the close on the next turn of the timers and reads nothing after finish', async () => {
    const timers = new ManualTimers();
    const { media } = medium();
    const life = new LinkLifecycle(media, { timers, reportLater: true });
    const { seen, events } = recorder();
    life.open(events);
    life.drain();
    life.finish('node b crashed');
    life.receive(() => [frame(2)]);
    expect(seen).toEqual(['drain']);
    await timers.advance(0);
    expect(seen).toEqual(['drain', 'closed: node b crashed']);
  });
});
