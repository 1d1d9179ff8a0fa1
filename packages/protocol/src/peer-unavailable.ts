import { StatemeshError } from '@statemesh/contracts';

/**
 * The `PEER_UNAVAILABLE` error of a request to `peer` that cannot be (or can no longer be) answered, `why` saying
 * what happened; `source` is the package name of the transport the caller used, which prefixes the message.
 */
export function peerUnavailable(source: string, peer: string, why: string): StatemeshError {
  return new StatemeshError('PEER_UNAVAILABLE', `${source}: peer ${peer} is unavailable: ${why}; retry once it is back up`, { details: { peer } });
}
