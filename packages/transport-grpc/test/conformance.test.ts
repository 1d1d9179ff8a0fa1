import { runTransportConformance } from '@statemesh/contracts/testing';
import { grpcHarness } from './fixtures/grpc-harness.ts';

runTransportConformance(grpcHarness());
