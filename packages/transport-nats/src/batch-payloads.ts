import { StatemeshError, type Entry, type Mutation } from '@statemesh/contracts';
import { encodeEnvelope } from '@statemesh/wire';
import { PACKAGE } from './options.js';

/**
 * The NATS payloads carrying `mutations`: one `Envelope{MutationBatch}` when it fits in `maxBytes` (the server's
 * `max_payload` less room for headers), else the batch split in halves until every part fits, in order.
 * One mutation that cannot fit throws `FRAME_TOO_LARGE` (inline values are at most 64 KiB, so only a
 * misconfigured server with a tiny `max_payload` gets there).
 */
export function batchPayloads(mutations: readonly Mutation[], maxBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  split(mutations, maxBytes, out);
  return out;
}

function split(mutations: readonly Mutation[], maxBytes: number, out: Uint8Array[]): void {
  const bytes = encodeEnvelope({ kind: 'mutations', mutations: mutations as Mutation[] });
  if (bytes.length <= maxBytes) {
    out.push(bytes);
    return;
  }
  if (mutations.length === 1) {
    throw new StatemeshError('FRAME_TOO_LARGE', `${PACKAGE}: one mutation of ${mutations[0]!.path} encodes to ${bytes.length} bytes, over the ${maxBytes} a NATS message may carry here; raise the server's max_payload`);
  }
  const half = Math.ceil(mutations.length / 2);
  split(mutations.slice(0, half), maxBytes, out);
  split(mutations.slice(half), maxBytes, out);
}

/** `entries` cut into runs whose snapshot page encodes within `maxBytes`, in order (at least one run, maybe empty). */
export function pageRuns(entries: readonly Entry[], maxBytes: number, encode: (entries: Entry[]) => Uint8Array): Array<{ entries: Entry[]; bytes: Uint8Array }> {
  const out: Array<{ entries: Entry[]; bytes: Uint8Array }> = [];
  const run = (part: Entry[]): void => {
    const bytes = encode(part);
    if (bytes.length <= maxBytes || part.length <= 1) {
      if (bytes.length > maxBytes) throw new StatemeshError('FRAME_TOO_LARGE', `${PACKAGE}: one entry encodes to ${bytes.length} bytes, over the ${maxBytes} a NATS message may carry here; raise the server's max_payload`);
      out.push({ entries: part, bytes });
      return;
    }
    const half = Math.ceil(part.length / 2);
    run(part.slice(0, half));
    run(part.slice(half));
  };
  run([...entries]);
  return out;
}
