import type { StatemeshError } from '../error.js';
import type { Link } from '../link.js';
import type { Transport } from '../transport.js';

/** Options {@link TransportHarness.create} receives. */
export interface HarnessTransportOptions {
  /** Cluster id; the suite passes one for every transport (`conformance` unless a test needs another). */
  readonly clusterId?: string;
  /** Node ids (created by this harness) the transport connects to. */
  readonly seeds: readonly string[];
  /** Heartbeat interval; absent: the transport's default. */
  readonly heartbeatIntervalMs?: number;
  /** Engine harnesses: protocol versions the node speaks. */
  readonly protocolVersions?: { readonly min: number; readonly max: number };
  /** Engine harnesses: the largest frame body sent or accepted after the Hello. */
  readonly maxFrameBytes?: number;
  /** Engine harnesses: per listener, bytes that links without a Hello may hold. */
  readonly maxHelloPendingBytes?: number;
  /** Engine harnesses: where the node reports link-level failures. */
  readonly onError?: (error: StatemeshError) => void;
}

/** What a transport implementation gives {@link runTransportConformance}: how to make and poke its transports. */
export interface TransportHarness {
  /** Names the describe block (`transport-memory`, `transport-ipc over unix sockets`...). */
  readonly name: string;
  /**
   * A transport for `nodeId` in cluster `clusterId` that will connect to the nodes named in `seeds` (created by
   * this harness). Not started. The suite may create a new transport for a node id whose earlier transport it
   * closed (a restart): it must be reachable at the same place.
   */
  create(nodeId: string, options: HarnessTransportOptions): Promise<Transport> | Transport;
  /** Optional: make `from` send a frame of a kind unknown to `toNode` (e.g. kind 99). */
  sendUnknownFrame?(from: Transport, toNode: string): Promise<void>;
  /**
   * Optional: make `transport` stop sending anything (heartbeats included) while its connections stay open, as a
   * hung process would. Enables the suspect-then-down test.
   */
  silence?(transport: Transport): Promise<void> | void;
  /**
   * True when the transport is `@statemesh/protocol`'s engine over this harness's links, honouring the engine
   * options of {@link HarnessTransportOptions}: the engine tests (tie-break, versions, self-dial, limits, Ack,
   * frame splitting) then run too.
   */
  readonly engine?: boolean;
  /** Engine harnesses: a raw link to `toNode`'s listener (the dialling end), not opened, for hostile-input tests. */
  rawLink?(toNode: string): Promise<Link>;
  /** Removes what the harness made (temporary directories...). */
  cleanup?(): Promise<void>;
}
