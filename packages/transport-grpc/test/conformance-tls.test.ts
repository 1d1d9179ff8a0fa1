import { runTransportConformance } from '@statemesh/contracts/testing';
import { grpcHarness } from './fixtures/grpc-harness.ts';

// Every node serves and presents a certificate for its node id signed by the test CA, trusts that CA, and
// requires client certificates (mutual TLS): the whole suite again over TLS.
runTransportConformance(grpcHarness({ tls: true }));
