// Serving the viewer from a Node HTTP server: the page at `/` (or a base path) and its script beside it. The
// WebSocket endpoint is the caller's (a websocketListener attached to the same server).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatemeshError } from '@statemesh/session';
import { viewerAssets, type ViewerAssets } from './viewer-assets.js';
import type { ViewerPageConfig } from './viewer-config.js';
import { viewerHtml } from './viewer-html.js';

/** Options of {@link viewerHandler}. */
export interface ViewerHandlerOptions {
  /** The cluster the page joins. */
  readonly clusterId: string;
  /** The URL path of the WebSocket endpoint on the same host (default `/statemesh`). */
  readonly websocketPath?: string | undefined;
  /** A full `ws://` / `wss://` URL of the endpoint instead, when it is on another port or host than the page. */
  readonly websocketUrl?: string | undefined;
  /** The volume shown; absent: the first one found in the tree. */
  readonly volume?: string | undefined;
  /** The scene's prefix in the tree (default `scene`). */
  readonly scene?: string | undefined;
  /** Where the page is served (default `/`); its script is at `<base>viewer.js`. */
  readonly basePath?: string | undefined;
}

/** Answers a request for the viewer; returns false (answering nothing) for any other path. */
export type ViewerHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

// The page runs its own script only, talks to its own host only, and never leaks its URL (with its fragment) on.
const HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** A request handler that serves the viewer page and its script (GET and HEAD). */
export function viewerHandler(assets: ViewerAssets, options: ViewerHandlerOptions): ViewerHandler {
  const base = options.basePath ?? '/';
  if (!base.startsWith('/') || !base.endsWith('/')) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/viewer: basePath must start and end with "/" (such as "/" or "/viewer/"), not ${JSON.stringify(base)}`);
  }
  const config: ViewerPageConfig = {
    clusterId: options.clusterId,
    websocketPath: options.websocketPath ?? '/statemesh',
    scene: options.scene ?? 'scene',
    ...(options.volume === undefined ? {} : { volume: options.volume }),
    ...(options.websocketUrl === undefined ? {} : { websocketUrl: options.websocketUrl }),
  };
  if (config.websocketUrl !== undefined && !/^wss?:\/\//.test(config.websocketUrl)) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/viewer: websocketUrl must be a ws:// or wss:// URL, not ${JSON.stringify(config.websocketUrl)}`);
  }
  const html = Buffer.from(viewerHtml(config, `${base}viewer.js`));
  const script = Buffer.from(assets.script.buffer, assets.script.byteOffset, assets.script.byteLength);
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const body = path === base || path === `${base}index.html` ? { type: 'text/html; charset=utf-8', bytes: html } : path === `${base}viewer.js` ? { type: 'text/javascript; charset=utf-8', bytes: script } : undefined;
    if (body === undefined) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    response.writeHead(200, { ...HEADERS, 'content-type': body.type, 'content-length': body.bytes.byteLength });
    response.end(request.method === 'HEAD' ? undefined : body.bytes);
    return true;
  };
}

/** Serves the viewer for `options`, building its assets on the first call; false for other paths. */
export async function serveViewer(options: ViewerHandlerOptions): Promise<ViewerHandler> {
  return viewerHandler(await viewerAssets(), options);
}
