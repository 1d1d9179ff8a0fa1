// The viewer's HTML: the canvas, the side panel, and the config as JSON (read by the page's script).
import { CONFIG_ELEMENT_ID, type ViewerPageConfig } from './viewer-config.js';

const STYLE = `
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: #0b0e12; color: #d8dee6; display: flex; height: 100vh; }
#stage { position: relative; flex: 1; display: flex; align-items: center; justify-content: center; overflow: hidden; }
#view { width: min(100%, calc((100vh - 16px) * 4 / 3)); aspect-ratio: 4 / 3; cursor: grab; touch-action: none; }
#labels { position: absolute; inset: 0; pointer-events: none; }
.label { position: absolute; transform: translate(-50%, -100%); background: #000a; padding: 1px 6px; border-radius: 3px; white-space: nowrap; }
aside { width: 330px; padding: 10px 14px; overflow-y: auto; background: #141a21; border-left: 1px solid #222b35; }
h1 { font-size: 15px; margin: 0 0 8px; } h2 { font-size: 12px; text-transform: uppercase; color: #8b98a8; margin: 14px 0 4px; }
ul { margin: 0; padding-left: 16px; } li[data-state="up"] { color: #7fd48a; } li[data-state="suspect"] { color: #e6c65c; }
#message { position: absolute; top: 8px; left: 8px; right: 8px; padding: 8px 10px; border-radius: 4px; background: #1e2a38; z-index: 2; }
#message.error { background: #5c1c1c; color: #ffd9d9; }
label { display: block; margin: 4px 0; } input[type=range] { width: 100%; } input[type=text] { width: 70%; }
`;

const BODY = `
<div id="stage">
  <div id="message" hidden></div>
  <canvas id="view" width="320" height="240"></canvas>
  <div id="labels"></div>
</div>
<aside>
  <h1>statemesh viewer</h1>
  <div>this tab: <span id="node">-</span></div>
  <h2>Volume</h2><div id="volume">-</div>
  <h2>Bricks</h2><div id="bricks">-</div><div id="fetched">-</div>
  <h2>Peers</h2><ul id="peers"></ul>
  <h2>Conflicts</h2><ul id="conflicts"></ul>
  <h2>Camera</h2><div id="latency">-</div><div>drag to turn, wheel to zoom: every viewer follows</div>
  <h2>Transfer function</h2>
  <label>colour map <select id="colormap"><option>hot</option><option>bone</option><option>cool</option></select></label>
  <label>low <input id="low" type="range" min="0" max="100"></label>
  <label>high <input id="high" type="range" min="0" max="100"></label>
  <label>opacity <input id="opacity" type="range" min="0" max="100"></label>
  <h2>Annotations</h2><ul id="annotations"></ul>
  <form id="annotate"><input name="text" type="text" placeholder="note at the camera's target" maxlength="200"> <button>add</button></form>
</aside>`;

/** The page, with `config` embedded and the script at `scriptPath`. */
export function viewerHtml(config: ViewerPageConfig, scriptPath: string): string {
  // `<` escaped: the JSON cannot close its script element whatever the volume path holds.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>statemesh viewer</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
<script type="application/json" id="${CONFIG_ELEMENT_ID}">${json}</script>
<script type="module" src="${scriptPath}"></script>
</head><body>${BODY}</body></html>
`;
}
