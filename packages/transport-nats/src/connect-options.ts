import { StatemeshError } from '@statemesh/contracts';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { PACKAGE, type ResolvedNatsOptions } from './options.js';

/**
 * The NATS client's connection options for a node: its servers and credentials passed through as given, a name
 * that shows in the server's monitoring, and reconnection that never gives up (a node rides out a server's
 * restart; `close()` ends it).
 */
export function connectOptions(options: ResolvedNatsOptions): ConnectionOptions {
  const { credentials } = options;
  const encoder = new TextEncoder();
  const authenticators = [
    ...(credentials.nkeySeed === undefined ? [] : [nkeyAuthenticator(encoder.encode(credentials.nkeySeed))]),
    ...(credentials.creds === undefined ? [] : [credsAuthenticator(encoder.encode(credentials.creds))]),
  ];
  return {
    servers: [...options.servers],
    name: `statemesh ${options.clusterId}/${options.nodeId}`,
    timeout: options.connectTimeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Our own batches and presence come back otherwise, on every subject we publish and subscribe.
    noEcho: true,
    ...(credentials.user === undefined ? {} : { user: credentials.user }),
    ...(credentials.pass === undefined ? {} : { pass: credentials.pass }),
    ...(credentials.token === undefined ? {} : { token: credentials.token }),
    ...(credentials.tls === undefined ? {} : { tls: { ...credentials.tls } }),
    ...(authenticators.length === 0 ? {} : { authenticator: authenticators }),
  };
}

/** Why the first connection failed, as the error `start()` rejects with: `UNAUTHENTICATED` or `IO_ERROR`. */
export function connectError(error: unknown, servers: readonly string[]): StatemeshError {
  const text = String(error);
  if (/authoriz|authent|permission/i.test(text)) {
    return new StatemeshError('UNAUTHENTICATED', `${PACKAGE}: the NATS server refused this node's credentials (${text}); check credentials.user/pass, token, nkeySeed or creds`, { cause: error });
  }
  return new StatemeshError('IO_ERROR', `${PACKAGE}: could not connect to NATS at ${servers.join(', ')} (${text}); start nats-server there or fix servers`, { cause: error });
}
