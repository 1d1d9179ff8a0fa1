/** What the page starts from: the node's state when it was served, and how often it polls for more. */
export interface DashboardInitialState {
  readonly snapshot: unknown;
  readonly changes: unknown;
  /** The id of the latest change held (the page polls for those after it). */
  readonly last: number;
  readonly pollMs: number;
}

/**
 * The dashboard: one self-contained HTML page (inline style and script, no build step) carrying its first state,
 * so it shows the cluster before any request of its own returns. It then polls `/dashboard.json` (short
 * requests, no stream held open: a screenshot tool's `--virtual-time-budget` runs out and the page settles) and
 * reads `/tree?prefix=` and `/bricks?path=` of the node's read-only endpoint; it cannot write.
 */
export function dashboardHtml(initial: DashboardInitialState): string {
  const json = JSON.stringify(initial, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  // Inside <script>, "<" could close the element early: JSON allows it escaped.
  return PAGE.replace('__INITIAL_STATE__', () => json.replace(/</g, '\\u003c'));
}

const PAGE = `<!doctype html>
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
  .state-relayed, .state-announced { color: #8250df; font-weight: 600; }
  #graph line { stroke: #8c959f; stroke-width: 1.5; }
  #graph line.relays { stroke-dasharray: 4 3; }
  #graph line.announced { stroke: #0969da; }
  #graph circle { fill: #fff; stroke: #57606a; stroke-width: 1.5; }
  #graph circle.state-up, #graph circle.state-self { stroke: #116329; }
  #graph circle.state-dead, #graph circle.state-down { stroke: #cf222e; }
  #graph text { font: 12px ui-monospace, monospace; }
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
  <span id="connection" class="muted">live</span>
</header>
<div class="grid">
  <section>
    <h2>Cluster, as this node knows it</h2>
    <table><thead><tr><th>node</th><th>state</th><th>last heard</th><th>lag (writes)</th><th>seq held</th><th>via</th><th>links it announced</th></tr></thead><tbody id="peers"></tbody></table>
    <p class="muted" id="peer-count"></p>
    <svg id="graph" width="360" height="220" role="img" aria-label="links between the nodes this node knows of"></svg>
    <ul id="links" class="muted"></ul>
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
<script id="initial" type="application/json">__INITIAL_STATE__</script>
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
  const s = snap.status, m = snap.metrics, cluster = snap.cluster;
  $("node").textContent = s.nodeId;
  $("cluster").textContent = s.clusterId;
  $("running").textContent = s.running ? "running" : "closed";
  const rows = cluster.members.map((p) => {
    const tr = el("tr");
    tr.dataset.node = p.node;
    tr.dataset.state = p.state;
    const heard = p.lastHeardAt === undefined || p.lastHeardAt === null ? "-" : ago(Math.max(0, snap.time - p.lastHeardAt)) + " ago";
    tr.append(el("td", p.node + (p.state === "self" ? " (this node)" : "")), el("td", p.state, "state-" + p.state), el("td", heard, p.state === "dead" ? "last-heard" : ""),
      el("td", p.lagSeq === undefined || p.lagSeq === null ? "-" : p.lagSeq), el("td", p.seq), el("td", p.via || "-"), el("td", announcedText(p), "links"));
    return tr;
  });
  $("peers").replaceChildren(...rows);
  const dead = cluster.members.filter((p) => p.state === "dead").length, relayed = cluster.members.filter((p) => p.state === "relayed").length;
  $("peer-count").textContent = rows.length + (rows.length === 1 ? " node" : " nodes") + " known here: " + s.peerCount + (s.peerCount === 1 ? " peer up" : " peers up") + (dead ? ", " + dead + " dead" : "") + (relayed ? ", " + relayed + " reached through relays" : "");
  renderGraph(cluster);
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

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}
function announcedText(p) {
  if (p.state === "self") return "-";
  if (p.links === undefined || p.links === null) return "unknown (not a peer)";
  if (p.links.length === 0) return "announced none";
  return p.links.join(", ") + (p.linkCount ? " (of " + p.linkCount + ")" : "");
}
function renderGraph(cluster) {
  const g = $("graph"), n = cluster.members.length, at = new Map();
  cluster.members.forEach((p, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
    at.set(p.node, [180 + (n === 1 ? 0 : 130 * Math.cos(a)), 110 + (n === 1 ? 0 : 80 * Math.sin(a))]);
  });
  const parts = [];
  for (const l of cluster.links) {
    const [x1, y1] = at.get(l.from) || [0, 0], [x2, y2] = at.get(l.to) || [0, 0];
    if (at.has(l.from) && at.has(l.to)) parts.push(svg("line", { x1, y1, x2, y2, class: l.state === "relays" ? "relays" : l.state === "announced" ? "link announced" : "link", "data-from": l.from, "data-to": l.to, "data-state": l.state }));
  }
  for (const p of cluster.members) {
    const [x, y] = at.get(p.node);
    parts.push(svg("circle", { cx: x, cy: y, r: 9, class: "state-" + p.state }), svg("text", { x: x + 12, y: y + 4 }, p.node + " " + p.state));
  }
  g.replaceChildren(...parts);
  $("links").replaceChildren(...cluster.links.map((l) => el("li", l.state === "relays" ? l.from + " relays " + l.to + "'s writes" : l.state === "announced" ? l.from + " — " + l.to + " (announced by " + l.from + ")" : l.from + " — " + l.to + " (" + l.state + ")")));
}

function renderChanges(items) {
  if (items.length === 0) return;
  const changes = [];
  let more = 0;
  for (const item of items) {
    const c = item.change;
    if (c.more !== undefined) { more += c.more; recent.unshift("… and " + c.more + " more in that batch"); continue; }
    changes.push(c);
    recent.unshift(new Date(item.at).toLocaleTimeString() + "  " + c.op + " " + c.path + (c.value !== undefined ? " = " + JSON.stringify(c.value) : "") + "  (" + c.from + ")");
  }
  const batch = { changes, count: changes.length + more };
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

// The first state came with the page; then short polls (never a stream held open).
const initial = JSON.parse($("initial").textContent);
let last = initial.last;
renderStatus(initial.snapshot);
renderChanges(initial.changes);
async function poll() {
  try {
    const res = await fetch("/dashboard.json?after=" + last);
    const body = await res.json();
    if (body.last < last) recent.length = 0; // the node restarted: its change ids began again
    last = body.last;
    renderStatus(body.snapshot);
    renderChanges(body.changes);
    $("connection").textContent = "live";
    $("connection").className = "muted";
  } catch {
    $("connection").textContent = "disconnected, retrying…";
    $("connection").className = "off";
  }
  setTimeout(poll, initial.pollMs);
}
setTimeout(poll, initial.pollMs);
loadTree();
</script>
</body>
</html>
`;
