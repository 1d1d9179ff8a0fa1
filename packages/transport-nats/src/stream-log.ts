import { StatemeshError } from '@statemesh/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { PACKAGE, type ResolvedStream } from './options.js';

/** Messages asked for per fetch while reading the log. */
const FETCH_MESSAGES = 2_000;
/** A fetch that brings nothing within this long ends the read (the log's end moved back: trimmed meanwhile). */
const FETCH_EXPIRES_MS = 2_000;
/** How long a node waits for JetStream to be ready (a NATS cluster electing its leader) before it gives up. */
const READY_WAIT_MS = 15_000;

/**
 * Makes sure the stream that keeps the cluster's batches exists: created with the configured limits when missing
 * (and `create`), left as it is when it exists (an operator's limits win). `INVALID_CONFIG` when it is missing
 * and may not be created, or when JetStream is not enabled on the server.
 */
export async function ensureStream(nc: NatsConnection, stream: ResolvedStream, subject: string): Promise<void> {
  // A NATS cluster that has just started elects its JetStream leader first: asked again for a while.
  let jsm;
  for (const deadline = Date.now() + READY_WAIT_MS; ; ) {
    try {
      jsm = await jetstreamManager(nc);
      break;
    } catch (error) {
      // Not enabled at all is final; anything else (a cluster still electing its leader) is asked again.
      if (Date.now() > deadline || (error as Error).name === 'JetStreamNotEnabled') {
        throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: the NATS server has no JetStream; start nats-server with -js (or set stream: false to go without the log): ${String(error)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  let existing;
  try {
    existing = await jsm.streams.info(stream.name);
  } catch (error) {
    if (!stream.create) throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: the JetStream stream ${stream.name} does not exist and stream.create is false; create it over ${subject}: ${String(error)}`, { cause: error });
  }
  if (existing !== undefined) {
    // A stream over other subjects (such as the `batch.*` of an older binding) would keep none of the batches.
    if (existing.config.subjects?.includes(subject) === true) return;
    throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: the JetStream stream ${stream.name} is over ${JSON.stringify(existing.config.subjects ?? [])}, not ${subject}; set its subjects to [${JSON.stringify(subject)}] (nats stream edit) or name another stream`);
  }
  for (const deadline = Date.now() + READY_WAIT_MS; ; ) {
    try {
      await addStream(jsm, stream, subject);
      return;
    } catch (error) {
      // Another node created it at the same moment: fine if it is there now.
      if (await jsm.streams.info(stream.name).then(() => true, () => false)) return;
      if (Date.now() > deadline) throw new StatemeshError('INVALID_CONFIG', `${PACKAGE}: could not create the JetStream stream ${stream.name}: ${String(error)}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function addStream(jsm: JetStreamManager, stream: ResolvedStream, subject: string): Promise<void> {
  await jsm.streams.add({
    name: stream.name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: stream.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: stream.replicas,
    ...(stream.maxMessages === undefined ? {} : { max_msgs: stream.maxMessages }),
    ...(stream.maxBytes === undefined ? {} : { max_bytes: stream.maxBytes }),
    ...(stream.maxAgeMs === undefined ? {} : { max_age: stream.maxAgeMs * 1_000_000 }),
  });
}

/** What a read of the log found: the stream sequence it reached and how many messages it handed over. */
export interface LogRead {
  readonly cursor: number;
  readonly messages: number;
  /** The first sequence the stream still held: above `from` means the log was trimmed past what was asked. */
  readonly firstSeq: number;
}

/**
 * Reads the stream from sequence `from` (1: the start) to its end as it was when the read began, handing each
 * message's subject and payload to `deliver`. With `filters` (subjects of the stream), only their messages are
 * read, one ordered consumer per filter (nats-server 2.9 takes one filter per consumer): each filter's messages
 * in order, the filters one after the other (a replica merges in any order). Ordered consumers: ephemeral, no ack.
 */
export async function readLog(nc: NatsConnection, name: string, from: number, filters: readonly string[], deliver: (subject: string, data: Uint8Array) => void): Promise<LogRead> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(name);
  const last = info.state.last_seq;
  const firstSeq = info.state.first_seq;
  let messages = 0;
  // A cursor past the stream's end is of a stream deleted and made again: this one is read from its start.
  const start = from - 1 > last ? 1 : Math.max(from, 1);
  if (info.state.messages === 0 || last < start) return { cursor: last, messages, firstSeq };
  for (const filter of filters) messages += await readFiltered(nc, name, start, last, filter, deliver);
  return { cursor: last, messages, firstSeq };
}

/** The messages of `filter` from `from` to `last`, in order; how many there were. */
async function readFiltered(nc: NatsConnection, name: string, from: number, last: number, filter: string, deliver: (subject: string, data: Uint8Array) => void): Promise<number> {
  const consumer = await jetstream(nc).consumers.get(name, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from, filter_subjects: filter });
  let messages = 0;
  try {
    if ((await consumer.info()).num_pending === 0) return 0;
    for (let done = false; !done; ) {
      const batch = await consumer.fetch({ max_messages: FETCH_MESSAGES, expires: FETCH_EXPIRES_MS });
      let got = 0;
      for await (const msg of batch) {
        got++;
        if (msg.seq > last) {
          done = true; // live meanwhile: held, or read by the next round
          break;
        }
        messages++;
        deliver(msg.subject, msg.data);
        if (msg.seq === last || msg.info.pending === 0) {
          done = true;
          break;
        }
      }
      if (got === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return messages;
}
