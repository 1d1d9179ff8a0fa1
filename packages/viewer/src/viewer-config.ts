// What the server tells the page: written into the page as JSON, read back by the page's script.

/** The page's settings, chosen by whoever serves it (`statemesh node --web`, `serveViewer`). */
export interface ViewerPageConfig {
  /** The cluster the page joins. */
  readonly clusterId: string;
  /** The URL path of the WebSocket endpoint on the page's own host (default `/statemesh`). */
  readonly websocketPath: string;
  /** A full `ws://` / `wss://` URL of the endpoint instead, when it is on another port or host than the page. */
  readonly websocketUrl?: string | undefined;
  /** The volume shown (the path of its level-0 manifest); absent: the first volume found in the tree. */
  readonly volume?: string | undefined;
  /** Where the scene lives: `<scene>.camera`, `<scene>.transfer`, `<scene>.annotations.<id>` (default `scene`). */
  readonly scene: string;
}

/** The id of the `<script type="application/json">` element that carries the config. */
export const CONFIG_ELEMENT_ID = 'statemesh-viewer-config';
