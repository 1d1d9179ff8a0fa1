// A throwaway CA and, per node, a certificate it signs (EC P-256, two days) naming the node (common name and
// DNS name: the identity a peer checks its Hello against) and its IP address, made with the openssl CLI in a
// temporary folder that is removed before this returns: TLS material for nodes that listen beyond loopback.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM: the CA that signs, and per node the certificate and key it serves and presents. */
export interface NodeCertificates {
  readonly ca: string;
  readonly nodes: Readonly<Record<string, { readonly cert: string; readonly key: string }>>;
}

/** A certificate for each node id of `addresses` (id -> IP address), and their CA. */
export function certificatesForNodes(addresses: Readonly<Record<string, string>>): NodeCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'statemesh-cert-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  try {
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=statemesh-partition-test-ca');
    const nodes: Record<string, { cert: string; key: string }> = {};
    for (const [node, address] of Object.entries(addresses)) {
      writeFileSync(join(dir, `${node}.cnf`), `subjectAltName=DNS:${node},IP:${address}\nbasicConstraints=CA:FALSE\n`);
      openssl('req', ...ecKey, '-keyout', `${node}.key`, '-out', `${node}.csr`, '-subj', `/CN=${node}`);
      openssl('x509', '-req', '-in', `${node}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${node}.crt`, '-days', '2', '-extfile', `${node}.cnf`);
      nodes[node] = { cert: read(`${node}.crt`), key: read(`${node}.key`) };
    }
    return { ca: read('ca.crt'), nodes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
