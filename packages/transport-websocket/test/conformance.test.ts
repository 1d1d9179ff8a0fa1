import { runTransportConformance } from '@statemesh/contracts/testing';
import { websocketHarness } from './fixtures/websocket-harness.ts';

runTransportConformance(websocketHarness('ws'));
runTransportConformance(websocketHarness('wss'));
