import { StatemeshError, type TransportHost } from '@statemesh/contracts';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, negotiateVersion, type HelloFrame } from '@statemesh/wire';
import { PACKAGE } from './options.js';

/** A Hello heard on the medium: the version to speak with its sender, or why it is ignored (said once per `key`). */
export type HelloVerdict = { readonly version: number } | { readonly key: string; readonly error: StatemeshError };

/** Checks a Hello heard on the cluster's subjects: not our own node id, our cluster, a version in common. */
export function checkHello(frame: HelloFrame, self: { readonly nodeId: string; readonly clusterId: string }): HelloVerdict {
  if (frame.node === self.nodeId) {
    return { key: `self:${frame.instance ?? ''}`, error: new StatemeshError('INVALID_CONFIG', `${PACKAGE}: another node of cluster ${self.clusterId} uses this node's id ${self.nodeId}; give every node its own nodeId`) };
  }
  if (frame.cluster !== self.clusterId) {
    return { key: `cluster:${frame.node}`, error: new StatemeshError('CLUSTER_MISMATCH', `${PACKAGE}: node ${frame.node} of cluster ${frame.cluster} spoke on the subjects of cluster ${self.clusterId}; ignored`) };
  }
  try {
    return { version: negotiateVersion({ minVersion: MIN_PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION }, frame) };
  } catch (error) {
    return { key: `version:${frame.node}`, error: new StatemeshError('VERSION_MISMATCH', `${PACKAGE}: node ${frame.node}: ${(error as Error).message}`, { cause: error }) };
  }
}

/** This node's Hello from what the host announces; `instance` changes on each start and each reconnect. */
export function helloOf(host: TransportHost, self: { readonly nodeId: string; readonly clusterId: string; readonly heartbeatIntervalMs: number; readonly instance: string }): HelloFrame {
  const info = host.hello();
  return {
    kind: 'hello',
    node: self.nodeId,
    cluster: self.clusterId,
    minVersion: MIN_PROTOCOL_VERSION,
    maxVersion: PROTOCOL_VERSION,
    vector: { ...info.vector },
    interests: [...(info.interests ?? [])],
    capabilities: [...(info.capabilities ?? [])],
    heartbeatIntervalMs: self.heartbeatIntervalMs,
    instance: self.instance,
  };
}
