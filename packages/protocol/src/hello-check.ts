import { StatemeshError, isStatemeshError, type HelloInfo, type Link } from '@statemesh/contracts';
import { negotiateVersion, type HelloFrame } from '@statemesh/wire';
import type { Conversation } from './conversation.js';
import { PACKAGE, type ProtocolVersions, type ResolvedOptions } from './options.js';

/** What {@link checkHello} found: the negotiated version, or why the Hello is refused. */
export type HelloVerdict =
  | { readonly version: number; readonly error?: undefined; readonly selfDial?: undefined }
  | { readonly version?: undefined; readonly error: StatemeshError; readonly selfDial: boolean };

/** Where a Hello came from: a conversation, or anything with an address and a link that may prove an identity. */
export type HelloSource = Pick<Conversation, 'address'> & { readonly link: Pick<Link, 'authenticatedIds'> };

/**
 * Whether a peer's Hello is accepted on `conversation`: same cluster, a protocol version in common (wire's rule:
 * the highest both speak), not this node itself (a self-dial stops its seed), and the node id the link proved,
 * when it proves one. A broadcast medium (NATS) checks the Hellos it hears with it too.
 */
export function checkHello(
  frame: HelloFrame,
  conversation: HelloSource,
  self: { readonly nodeId: string; readonly clusterId: string; readonly instance: string; readonly versions: ProtocolVersions },
): HelloVerdict {
  const peer = frame.node;
  const at = conversation.address;
  if (frame.cluster !== self.clusterId) {
    return refused(
      new StatemeshError(
        'CLUSTER_MISMATCH',
        `${PACKAGE}: node ${peer} at ${at} belongs to cluster ${frame.cluster}, this node ${self.nodeId} to ${self.clusterId}; fix the seeds or the cluster ids`,
        { details: { peer, theirs: frame.cluster, ours: self.clusterId } },
      ),
    );
  }
  let version: number;
  try {
    version = negotiateVersion({ minVersion: self.versions.min, maxVersion: self.versions.max }, frame);
  } catch (error) {
    if (!isStatemeshError(error, 'VERSION_MISMATCH')) throw error;
    return refused(
      new StatemeshError(
        'VERSION_MISMATCH',
        `${PACKAGE}: peer ${peer} speaks protocol versions ${frame.minVersion}-${frame.maxVersion} and this node ${self.versions.min}-${self.versions.max}: no version in common; upgrade the older node`,
        { details: { peer, ours: self.versions, theirs: { min: frame.minVersion, max: frame.maxVersion } }, cause: error },
      ),
    );
  }
  if (peer === self.nodeId) {
    const itself = frame.instance === self.instance;
    return refused(
      new StatemeshError(
        'INVALID_CONFIG',
        itself
          ? `${PACKAGE}: node ${self.nodeId} dialled ${at}, which is itself; remove it from the seeds`
          : `${PACKAGE}: another process at ${at} also calls itself ${self.nodeId}; give every node its own id`,
        { details: { address: at } },
      ),
      itself,
    );
  }
  const proven = conversation.link.authenticatedIds;
  if (proven !== undefined && !proven.includes(peer)) {
    return refused(
      new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: the link from ${at} proved the identity ${proven.join(', ') || '(none)'}, but its Hello says ${peer}; refused`, {
        details: { peer, proven: [...proven] },
      }),
    );
  }
  return { version };
}

/** The Hello this node sends on every new link: the host's announcement, our versions, heartbeat interval and instance. */
export function helloFrame(
  info: HelloInfo,
  self: { readonly nodeId: string; readonly clusterId: string; readonly instance: string; readonly options: Pick<ResolvedOptions, 'protocolVersions' | 'heartbeatIntervalMs'> },
): HelloFrame {
  return {
    kind: 'hello',
    node: self.nodeId,
    cluster: self.clusterId,
    minVersion: self.options.protocolVersions.min,
    maxVersion: self.options.protocolVersions.max,
    vector: { ...info.vector },
    interests: [...(info.interests ?? [])],
    capabilities: [...(info.capabilities ?? [])],
    heartbeatIntervalMs: self.options.heartbeatIntervalMs,
    instance: self.instance,
  };
}

function refused(error: StatemeshError, selfDial = false): HelloVerdict {
  return { error, selfDial };
}
