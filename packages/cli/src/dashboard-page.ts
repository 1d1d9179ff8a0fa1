/**
 * The dashboard: one self-contained HTML page (inline style and script, no build step). It reads `/events`
 * (server-sent events), `/tree?prefix=` and `/bricks?path=` of the node's read-only endpoint; it cannot write.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>statemesh</title>
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
  body { margin: 0; padding: 16px 24px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 20px; margin: 0; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; margin-top: 16px; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 16px; overflow: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid #eef0f2; font-variant-numeric: tabular-nums; }
  .state-up, .state-self { color: #116329; font-weight: 600; }
  .state-suspect, .state-connecting { color: #9a6700; font-weight: 600; }
  .state-down, .state-dead, .state-closed { color: #cf222e; font-weight: 600; }
  .muted { color: #6e7781; }
  code, .path { font-family: ui-monospace, monospace; font-size: 13px; }
  .crumb { cursor: pointer; color: #0969da; }
  .folder { cursor: pointer; color: #0969da; }
  .value { max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  #conflicts li, #changes li { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; }
  ul { margin: 0; padding-left: 18px; }
  #connection.off { color: #cf222e; }
  canvas { border: 1px solid #dde1e6; image-rendering: pixelated; }
</style>
</head>
<body>
<header>
  <h1>statemesh</h1>
  <span>node <strong id="node">…</strong> in cluster <strong id="cluster">…</strong></span>
  <span id="running" class="muted"></span>
  <span id="connection" class="muted">connecting…</span>
</header>
<div class="grid">
  <section>
    <h2>Peers</h2>
    <table><thead><tr><th>node</th><th>state</th><th>last heard</th><th>lag (writes)</th></tr></thead><tbody id="peers"></tbody></table>
    <p class="muted" id="peer-count"></p>
  </section>
  <section>
    <h2>Replication</h2>
    <table><tbody id="metrics"></tbody></table>
  </section>
  <section>
    <h2>Conflicts</h2>
    <ul id="conflicts"><li class="muted">none</li></ul>
  </section>
  <section>
    <h2>Recent changes</h2>
    <ul id="changes"><li class="muted">none yet</li></ul>
  </section>
  <section style="grid-column: 1 / -1">
    <h2>Tree <span id="crumbs" class="path"></span></h2>
    <table><thead><tr><th>path</th><th>type</th><th>value</th><th>version</th></tr></thead><tbody id="tree"></tbody></table>
    <p class="muted" id="tree-note"></p>
  </section>
  <section id="bricks-section" style="grid-column: 1 / -1" hidden>
    <h2>Bricks of <span id="bricks-path" class="path"></span></h2>
    <p id="bricks-note" class="muted"></p>
    <canvas id="bricks" width="640" height="320"></canvas>
  </section>
</div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let prefix = new URLSearchParams(location.search).get("prefix") || "";
let treeTimer = 0;
const recent = [];

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
function ago(ms) { return ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s"; }
function under(path, p) { return p === "" || path === p || path.startsWith(p + "."); }
function show(view) {
  if (view.pending) return "pending: " + view.size + " bytes being fetched";
  if (view.type === "json") return JSON.stringify(view.value);
  if (view.type === "text") return view.value;
  return view.size + " bytes";
}

function renderStatus(snap) {
  const s = snap.status, m = snap.metrics;
  $("node").textContent = s.nodeId;
  $("cluster").textContent = s.clusterId;
  $("running").textContent = s.running ? "running" : "closed";
  const rows = [el("tr")];
  rows[0].dataset.node = s.nodeId;
  rows[0].append(el("td", s.nodeId + " (this node)"), el("td", "self", "state-self"), el("td", "-"), el("td", "-"));
  for (const p of s.peers) {
    const tr = el("tr");
    tr.dataset.node = p.node;
    tr.append(el("td", p.node), el("td", p.state, "state-" + p.state), el("td", ago(p.lastSeenMs) + " ago"), el("td", p.lagSeq));
    rows.push(tr);
  }
  $("peers").replaceChildren(...rows);
  $("peer-count").textContent = rows.length + (rows.length === 1 ? " node" : " nodes") + " seen from here, " + s.peerCount + (s.peerCount === 1 ? " peer up" : " peers up");
  const metrics = [
    ["local writes (sequence)", s.localSequence], ["remote writes applied", m.remote.applied],
    ["duplicates dropped", m.remote.duplicates], ["rejected", m.remote.rejected],
    ["conflicts detected", s.conflicts],
    ["catch-ups completed / failed", m.catchUps.completed + " / " + m.catchUps.failed],
    ["hydrations pending / done / failed", m.hydrations.pending + " / " + m.hydrations.completed + " / " + m.hydrations.failed],
    ["entries / tombstones", m.entries + " / " + m.tombstones],
    ["mutations published / delivered", m.transport.published + " / " + m.transport.delivered],
  ];
  $("metrics").replaceChildren(...metrics.map(([k, v]) => { const tr = el("tr"); tr.append(el("td", k), el("td", v)); return tr; }));
  const conflicts = snap.conflicts.map((c) => el("li", new Date(c.at).toLocaleTimeString() + "  " + c.path + ": " + c.winner.origin + "#" + c.winner.seq + " beat " + c.loser.origin + "#" + c.loser.seq));
  $("conflicts").replaceChildren(...(conflicts.length ? conflicts : [el("li", "none", "muted")]));
}

function renderChanges(batch) {
  for (const c of batch.changes) recent.unshift(new Date().toLocaleTimeString() + "  " + c.op + " " + c.path + (c.value !== undefined ? " = " + JSON.stringify(c.value) : "") + "  (" + c.from + ")");
  if (batch.count > batch.changes.length) recent.unshift("… and " + (batch.count - batch.changes.length) + " more in that batch");
  recent.length = Math.min(recent.length, 30);
  $("changes").replaceChildren(...recent.map((line) => el("li", line)));
  const bricksPath = $("bricks-section").hidden ? undefined : $("bricks-path").textContent;
  if (bricksPath !== undefined && batch.changes.some((c) => under(c.path, bricksPath))) loadBricks(bricksPath);
  if (batch.changes.some((c) => under(c.path, prefix) || under(prefix, c.path)) || batch.count > batch.changes.length) {
    clearTimeout(treeTimer);
    treeTimer = setTimeout(loadTree, 100);
  }
}

function go(p) { prefix = p; history.replaceState(null, "", p ? "?prefix=" + encodeURIComponent(p) : location.pathname); loadTree(); }

async function loadTree() {
  const crumbs = [el("span", "(root)", "crumb")];
  crumbs[0].onclick = () => go("");
  const parts = prefix ? prefix.split(".") : [];
  parts.forEach((part, i) => { const c = el("span", part, "crumb"); c.onclick = () => go(parts.slice(0, i + 1).join(".")); crumbs.push(el("span", " . "), c); });
  $("crumbs").replaceChildren(...crumbs);
  const res = await fetch("/tree?prefix=" + encodeURIComponent(prefix));
  const body = await res.json();
  if (!res.ok) { $("tree-note").textContent = body.error.message; $("tree").replaceChildren(); return; }
  const folders = new Map(), leaves = [];
  const depth = parts.length;
  for (const e of body.entries) {
    const segs = e.path.split(".");
    if (segs.length === depth + 1 || e.path === prefix) leaves.push(e);
    if (segs.length > depth + 1) { const key = segs.slice(0, depth + 1).join("."); folders.set(key, (folders.get(key) || 0) + 1); }
  }
  const rows = [];
  for (const [path, n] of folders) {
    const tr = el("tr"), td = el("td", path + ".*", "path folder");
    td.onclick = () => go(path);
    tr.append(td, el("td", "prefix", "muted"), el("td", n + (n === 1 ? " value below" : " values below"), "muted"), el("td", ""));
    rows.push(tr);
  }
  for (const e of leaves) {
    const tr = el("tr");
    tr.dataset.path = e.path;
    const value = el("td", show(e), "value");
    if (e.type === "brick-manifest" && !e.pending) { value.className = "value folder"; value.textContent = e.size + " bytes: show bricks"; value.onclick = () => loadBricks(e.path); }
    tr.append(el("td", e.path, "path"), el("td", e.type), value, el("td", e.version.origin + "#" + e.version.seq, "muted"));
    rows.push(tr);
  }
  $("tree").replaceChildren(...rows);
  $("tree-note").textContent = body.total + (body.total === 1 ? " value under " : " values under ") + (prefix || "the root") + (body.total > body.entries.length ? " (first " + body.entries.length + " shown)" : "");
}

async function loadBricks(path) {
  $("bricks-section").hidden = false;
  $("bricks-path").textContent = path;
  const res = await fetch("/bricks?path=" + encodeURIComponent(path));
  const body = await res.json();
  const canvas = $("bricks"), g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (!res.ok) { $("bricks-note").textContent = body.error.message; return; }
  $("bricks-note").textContent = body.selected + " of " + body.bricks + " bricks selected " + (body.by === "view" ? "by the view at " + path + ".view" : "(no view at " + path + ".view: all bricks)") + "; seen from above (x right, y down), each cell shaded by the share of its z-column selected";
  const scale = Math.min(canvas.width / Math.max(1, body.bounds[0]), canvas.height / Math.max(1, body.bounds[1]));
  for (const c of body.columns) {
    const share = c.selected / c.total;
    g.fillStyle = share === 0 ? "#eef0f2" : "rgba(9, 105, 218, " + (0.25 + 0.75 * share).toFixed(3) + ")";
    g.fillRect(c.x * scale, c.y * scale, Math.max(1, c.width * scale - 1), Math.max(1, c.height * scale - 1));
  }
  canvas.dataset.selected = String(body.selected);
}

const events = new EventSource("/events");
events.addEventListener("open", () => { $("connection").textContent = "live"; $("connection").className = "muted"; });
events.addEventListener("error", () => { $("connection").textContent = "disconnected, retrying…"; $("connection").className = "off"; });
events.addEventListener("status", (e) => renderStatus(JSON.parse(e.data)));
events.addEventListener("change", (e) => renderChanges(JSON.parse(e.data)));
loadTree();
</script>
</body>
</html>
`;
