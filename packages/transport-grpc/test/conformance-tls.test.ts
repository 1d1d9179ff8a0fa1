import { runTransportConformance } from '@statemesh/contracts/testing';
import { certificates } from './fixtures/certificates.ts';
import { grpcHarness } from './fixtures/grpc-harness.ts';

// Every node serves and presents a certificate signed by the test CA, trusts that CA, and requires client
// certificates (mutual TLS): the whole suite again over TLS.
runTransportConformance(
  grpcHarness(() => {
    const { ca, node } = certificates();
    return { ca, cert: node.cert, key: node.key, requireClientAuth: true };
  }),
);
