import { StatemeshError, type Timers } from '@statemesh/contracts';
import { headers, type Msg } from '@nats-io/transport-node';
import { checkHello, helloFrame } from '@statemesh/protocol';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, encodeEnvelope, type HelloFrame } from '@statemesh/wire';
import type { MediumContext } from './medium-context.js';
import { PACKAGE } from './options.js';
import { MAX_PEERS, type Presence } from './presence.js';

/** Header of a Hello that answers another node's Hello (it is not answered again). */
const ANSWER_HEADER = 'Statemesh-Answer';
/** Nodes remembered as asked for their Hello before the memory of them is dropped (a bound on memory). */
const MAX_ASKED = 10_000;
/** The protocol versions this binding speaks: all that wire decodes. */
const VERSIONS = { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION };

/** What {@link PresenceChannel} needs of its transport. */
export interface PresenceContext extends MediumContext {
  readonly clusterId: string;
  readonly timers: Timers;
  readonly heartbeatIntervalMs: number;
  readonly presence: Presence;
  /** True while the transport runs: presence frames before and after are ignored. */
  running(): boolean;
  /** This run's instance id: a new one tells every peer to catch up from this node again. */
  instance(): string;
}

/**
 * The presence, hello and ack subjects: the Hellos, heartbeats, acknowledgements and Goodbyes heard there, checked
 * with the engine's Hello rules (`@statemesh/protocol`) and kept in {@link Presence}, and what this node says.
 */
export class PresenceChannel {
  readonly #c: PresenceContext;
  readonly #askedHello = new Map<string, number>();

  constructor(context: PresenceContext) {
    this.#c = context;
  }

  /** A frame on a presence, hello or ack subject; `from` is the subject's node (undefined on our hello subject). */
  receive(from: string | undefined, msg: Msg): void {
    const c = this.#c;
    if (from === c.nodeId) return;
    const frame = c.frames.received(msg.data, from ?? msg.subject);
    if (frame === undefined || !c.running()) return;
    if ((frame.kind === 'hello' || frame.kind === 'heartbeat') && from !== undefined && frame.node !== from) {
      c.frames.bad(from, `sent a ${frame.kind} naming node ${frame.node} on its own subject`);
      return;
    }
    const now = c.timers.now();
    switch (frame.kind) {
      case 'hello':
        this.#onHello(frame, msg.headers?.get(ANSWER_HEADER) !== '1');
        return;
      case 'heartbeat':
        if (from !== undefined && !c.presence.heartbeat(from, frame.sentAtMs, now, c.timers.wallNow?.() ?? Date.now())) this.askHello(from);
        return;
      case 'ack':
        if (from === undefined) return;
        if (!c.presence.acknowledged(from, frame.vector, now)) this.askHello(from);
        else if (frame.held !== undefined) c.host().onBlobsHeld?.(frame.held, from);
        return;
      case 'goodbye':
        if (from !== undefined) c.presence.remove(from, `the peer said goodbye: ${frame.reason}`);
        return;
      default:
        return;
    }
  }

  /** A node we have no Hello of spoke: ask it for one (sending ours), at most once per heartbeat interval. */
  askHello(node: string): void {
    const c = this.#c;
    const now = c.timers.now();
    const last = this.#askedHello.get(node);
    if (last !== undefined && now - last < c.heartbeatIntervalMs) return;
    if (this.#askedHello.size > MAX_ASKED) this.#askedHello.clear();
    this.#askedHello.set(node, now);
    c.publish(c.subjects.hello(node), encodeEnvelope(this.#hello()));
  }

  /** Broadcasts this node's Hello: every node answers with its own. */
  announce(): void {
    this.#c.publish(this.#c.subjects.presence(this.#c.nodeId), encodeEnvelope(this.#hello()));
  }

  /** Broadcasts a heartbeat carrying this node's wall clock (peers measure their skew from it). */
  heartbeat(): void {
    const c = this.#c;
    c.publish(c.subjects.presence(c.nodeId), encodeEnvelope({ kind: 'heartbeat', node: c.nodeId, sentAtMs: c.timers.wallNow?.() ?? Date.now() }));
  }

  /** Broadcasts this node's Goodbye: its peers drop it at once. */
  goodbye(): void {
    this.#c.publish(this.#c.subjects.presence(this.#c.nodeId), encodeEnvelope({ kind: 'goodbye', reason: 'node is closing' }));
  }

  #onHello(frame: HelloFrame, answer: boolean): void {
    const c = this.#c;
    const verdict = checkHello(frame, { address: 'the NATS medium', link: {} }, { nodeId: c.nodeId, clusterId: c.clusterId, instance: c.instance(), versions: VERSIONS });
    if (verdict.error !== undefined) {
      c.log.once(`hello:${verdict.error.code}:${frame.node}:${frame.instance ?? ''}`, verdict.error);
      return;
    }
    const outcome = c.presence.hello(frame, verdict.version, frame.heartbeatIntervalMs || c.heartbeatIntervalMs, c.timers.now());
    if (outcome === 'full') {
      c.log.once('full', new StatemeshError('BACKPRESSURE', `${PACKAGE}: node ${c.nodeId} knows ${MAX_PEERS} peers already; ignored the Hello of ${frame.node} (more nodes than one cluster should hold, or a peer inventing ids)`));
      return;
    }
    this.#askedHello.delete(frame.node);
    if (answer || outcome !== 'known') {
      const h = headers();
      h.set(ANSWER_HEADER, '1');
      c.publish(c.subjects.hello(frame.node), encodeEnvelope(this.#hello()), h);
    }
  }

  #hello(): HelloFrame {
    const c = this.#c;
    return helloFrame(c.host().hello(), { nodeId: c.nodeId, clusterId: c.clusterId, instance: c.instance(), options: { protocolVersions: VERSIONS, heartbeatIntervalMs: c.heartbeatIntervalMs } });
  }
}
