export { serveViewer, viewerHandler, type ViewerHandler, type ViewerHandlerOptions } from './serve-viewer.js';
export { bundleViewer, viewerAssets, type ViewerAssets } from './viewer-assets.js';
export { viewerHtml } from './viewer-html.js';
export { CONFIG_ELEMENT_ID, type ViewerPageConfig } from './viewer-config.js';
