// The page's entry: reads the config the server wrote into the page, takes the token (URL fragment, tab storage
// or a prompt), joins the cluster over WebSocket and starts the viewer. A refused token is said on the page, and
// nothing is joined.
import { isStatemeshError, join, type Session } from '@statemesh/session/browser';
import { CONFIG_ELEMENT_ID, type ViewerPageConfig } from '../viewer-config.js';
import { forgetToken, takeToken } from './token-source.js';
import { ViewerApp, type ViewerCounters } from './viewer-app.js';
import { showMessage } from './viewer-panel.js';

/** What the page exposes on `window.statemeshViewer`, for scripts and tests. */
export interface ViewerHandle {
  /** `starting`, `running`, `refused` (wrong token), `failed` (anything else). */
  state: 'starting' | 'running' | 'refused' | 'failed';
  error?: { code: string; message: string } | undefined;
  session?: Session | undefined;
  app?: ViewerApp | undefined;
  counters(): ViewerCounters | undefined;
  close(): Promise<void>;
}

const handle: ViewerHandle = {
  state: 'starting',
  counters: () => handle.app?.counters(),
  async close() {
    handle.app?.close();
    await handle.session?.close();
  },
};
(globalThis as unknown as { statemeshViewer: ViewerHandle }).statemeshViewer = handle;

function readConfig(): ViewerPageConfig {
  const element = document.getElementById(CONFIG_ELEMENT_ID);
  const parsed = JSON.parse(element?.textContent ?? '{}') as Partial<ViewerPageConfig>;
  if (typeof parsed.clusterId !== 'string') throw new Error('@statemesh/viewer: the page carries no cluster id; serve it with serveViewer() or statemesh node --web');
  return { clusterId: parsed.clusterId, websocketPath: parsed.websocketPath ?? '/statemesh', websocketUrl: parsed.websocketUrl, scene: parsed.scene ?? 'scene', volume: parsed.volume };
}

async function start(): Promise<void> {
  const config = readConfig();
  const token = takeToken();
  if (token === undefined) {
    handle.state = 'refused';
    showMessage('No token: open the URL that `statemesh node --web` printed (it ends in #token=...), or reload and type the token.', 'error');
    return;
  }
  const url = config.websocketUrl ?? `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${config.websocketPath}`;
  const nodeId = `tab-${crypto.randomUUID().slice(0, 8)}`;
  showMessage(`joining ${config.clusterId} at ${url} as ${nodeId}...`);
  let session: Session;
  try {
    session = await join({ clusterId: config.clusterId, nodeId, seeds: [url], token, hydrate: 'lazy', requirePeers: 1, joinTimeoutMs: 5000, heartbeatIntervalMs: 1000 });
  } catch (error) {
    const code = isStatemeshError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    handle.error = { code, message };
    if (code === 'UNAUTHENTICATED') {
      handle.state = 'refused';
      forgetToken();
      showMessage(`The node refused this token: no data was exchanged. Open the URL that \`statemesh node --web\` printed (it ends in #token=...) and check it is the node's current token. (${message})`, 'error');
    } else {
      handle.state = 'failed';
      showMessage(`Could not join ${config.clusterId} at ${url}: ${message}`, 'error');
    }
    return;
  }
  handle.session = session;
  const canvas = document.getElementById('view') as HTMLCanvasElement;
  try {
    handle.app = new ViewerApp(session, config, canvas);
  } catch (error) {
    handle.state = 'failed';
    handle.error = { code: isStatemeshError(error) ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
    showMessage(handle.error.message, 'error');
    return;
  }
  handle.state = 'running';
  showMessage(undefined);
  addEventListener('pagehide', () => void handle.close());
}

start().catch((error: unknown) => {
  handle.state = 'failed';
  showMessage(error instanceof Error ? error.message : String(error), 'error');
});
