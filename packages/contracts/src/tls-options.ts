/**
 * A node's TLS material, one shape for every transport that speaks TLS (gRPC, WebSocket) and for the session
 * config that hands it to them. PEM is text or its bytes, as read from a file.
 */
export interface TlsOptions {
  /** This node's certificate chain (PEM): served when it listens, presented as its client certificate when it dials. */
  readonly cert?: string | Uint8Array | undefined;
  /** The private key of `cert` (PEM). */
  readonly key?: string | Uint8Array | undefined;
  /** The CA certificates (PEM) that sign the peers' certificates; absent: the system's roots when dialling. */
  readonly ca?: string | Uint8Array | undefined;
  /**
   * Mutual TLS when listening: refuse clients without a certificate signed by `ca` (default false); a client's
   * Hello must then name a node id its certificate proves.
   */
  readonly requireClientAuth?: boolean | undefined;
  /** The name to check a server's certificate against when dialling, instead of the address's host. */
  readonly serverName?: string | undefined;
}
