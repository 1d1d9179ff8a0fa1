import { runTransportConformance } from '@statemesh/contracts/testing';
import { ipcHarness } from './fixtures/ipc-harness.ts';

runTransportConformance(ipcHarness('unix'));
runTransportConformance(ipcHarness('tcp'));
