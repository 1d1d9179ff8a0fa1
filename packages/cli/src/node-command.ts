import { performance } from 'node:perf_hooks';
import { StatemeshError, isStatemeshError, type Session, type SessionProgress } from '@statemesh/session';
import { integer } from './admin-commands.js';
import { secretFrom, tokenFileWarning, tokenFrom } from './admin-token.js';
import type { Command, OptionValues } from './command.js';
import { EXIT_CODES } from './exit-codes.js';
import { applyNatsFlag, parseHydrate, parseMount, readNodeConfig, type NodeConfig } from './node-config.js';
import { startNode } from './running-node.js';
import type { Terminal } from './terminal.js';

const PREFIX = '@statemesh/cli: ';

/** `statemesh node`: runs a node in the foreground until SIGINT/SIGTERM. */
export const nodeCommand: Command = {
  name: 'node',
  summary: 'run a node in the foreground (Ctrl-C or SIGTERM closes it cleanly)',
  usage: 'statemesh node --config node.json | --cluster <id> --id <node> --listen <address> [options]',
  help: `Options (each overrides the config file):
  --config <file>       JSON config: the session config plus "admin" and "http" (see the README)
  --cluster <id>        cluster id
  --id <node>           this node's id
  --listen <address>    Unix socket path or tcp://127.0.0.1:port
  --seed <address>      a peer to dial (repeatable)
  --interest <prefix>   replicate only this prefix (repeatable)
  --mount <prefix=mode> authority over a subtree (repeatable; replaces the config file's "mounts"):
                        read-only (this node's writes there are refused with READ_ONLY), authoritative
                        (only this node writes there: peers' writes are refused and counted), read-write
  --transport <kind>    ipc (default), grpc or nats (with --nats)
  --nats <url>          a NATS server (repeatable): the node joins the cluster's NATS medium; alone, over NATS
                        only; beside --listen/--seed, as a gateway between that mesh and NATS
  --data <dir>          keep the replica on disk in this folder: a restart recovers from it with no peer, and
                        writes can wait for "durable" (large values go to <dir>/blobs unless --blob-store)
  --durability <level>  with --data: batched (default: one fdatasync per tick), sync (one per write) or none
  --blob-store <dir>    keep large values in this folder (survives restarts)
  --hydrate <policy>    which large values to fetch as they arrive: eager (default, all), lazy (none until
                        asked for: get, or a VolumeView's bricks), or prefixes fetched eagerly (scene,app.meshes)
  --heartbeat-ms <n>    heartbeat interval (default 1000)
  --admin <host:port>   admin API address (default 127.0.0.1:7700; port 0: any free port; "off": none)
  --link-token-file <f> a file holding the token every link to and from peers presents (IPC over TCP needs
                        one; default: $STATEMESH_LINK_TOKEN_FILE, $STATEMESH_LINK_TOKEN, else config "auth")
  --token-file <file>   a file holding the admin token (default: config admin.token or admin.tokenFile,
                        $STATEMESH_TOKEN_FILE, $STATEMESH_TOKEN, else a random one, printed). Never --token:
                        a token on the command line is visible to every user of the machine.
  --http-port <port>    serve /healthz, /status, /metrics and the dashboard on this port (off by default)
  --http-host <host>    address of that endpoint (default 127.0.0.1: only this machine; a warning otherwise)
  --allow-host <name>   a host name the HTTP servers answer to besides addresses and localhost (repeatable;
                        other Host headers get 403, a guard against DNS rebinding)
  --web <host:port>     serve the volume viewer and browsers' WebSocket links on this address (port 0: any
                        free port); prints the viewer's URL with its token in the fragment (#token=...)
  --web-token-file <f>  a file holding the token browsers send (default: $STATEMESH_WEB_TOKEN_FILE,
                        $STATEMESH_WEB_TOKEN, else a random one, printed in the URL)
  --web-volume <path>   the volume the viewer shows (default: the first one in the tree)
                        (HTTPS and wss with the config file's "tls" certificate and key)
  --insecure            let --web listen beyond loopback in plain HTTP (no TLS); anyone who can reach it
                        and has the URL sees the data
  --json                print events as JSON lines
Prints peers coming up and going down, catch-ups and hydrations as they happen.`,
  options: {
    config: { type: 'string' },
    cluster: { type: 'string' },
    id: { type: 'string' },
    listen: { type: 'string' },
    seed: { type: 'string', multiple: true },
    interest: { type: 'string', multiple: true },
    mount: { type: 'string', multiple: true },
    transport: { type: 'string' },
    nats: { type: 'string', multiple: true },
    'blob-store': { type: 'string' },
    hydrate: { type: 'string' },
    data: { type: 'string' },
    durability: { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    admin: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'link-token-file': { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
    'http-port': { type: 'string' },
    'http-host': { type: 'string' },
    web: { type: 'string' },
    'web-token-file': { type: 'string' },
    'web-volume': { type: 'string' },
    insecure: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: [0, 0],
  async run(values, _positionals, terminal) {
    const config = nodeConfigFrom(values, terminal);
    const say = reporter(values['json'] === true, terminal);
    // Listen for Ctrl-C/SIGTERM from the start: a signal during a long join closes the node as soon as it is up,
    // and a second signal ends the process at once.
    let signal: string | undefined;
    let wake: ((name: string) => void) | undefined;
    const stopListening = terminal.onInterrupt((name) => {
      if (signal !== undefined) process.exit(EXIT_CODES.failure);
      signal = name;
      wake?.(name);
    });
    try {
      say('joining', `joining cluster ${config.clusterId} as ${config.nodeId}${(config.seeds ?? []).length > 0 ? `, catching up from ${(config.seeds ?? []).join(', ')}` : ''}`, {
        cluster: config.clusterId,
        node: config.nodeId,
      });
      const started = performance.now();
      const ticker = setInterval(() => say('joining', `still joining (${((performance.now() - started) / 1000).toFixed(0)} s): waiting for the first catch-up from a seed`, {}), 2000);
      let node;
      try {
        node = await startNode(config, { log: (line) => say('log', line, { line }) });
      } catch (error) {
        throw linkTokenHint(error, config);
      } finally {
        clearInterval(ticker);
      }
      const { session } = node;
      const metrics = session.metrics();
      say('ready', `node ${session.nodeId} up in ${(performance.now() - started).toFixed(0)} ms: ${metrics.entries} value${metrics.entries === 1 ? '' : 's'}, ${session.status().peerCount} peer${session.status().peerCount === 1 ? '' : 's'}`, {
        node: session.nodeId,
        cluster: session.clusterId,
        entries: metrics.entries,
      });
      if (node.adminUrl !== undefined) {
        const generated = config.admin !== false && config.admin?.token === undefined && config.admin?.tokenFile === undefined;
        say('admin', `admin API ${node.adminUrl}${generated ? ` (token ${node.token})` : ''}`, { url: node.adminUrl });
      }
      for (const [what, url] of [['admin API', node.adminUrl], ['HTTP endpoint', node.httpUrl]] as const) {
        if (url !== undefined && !isLoopback(new URL(url).hostname)) {
          say('warning', `warning: the ${what} listens on ${url}, beyond this machine, in plain HTTP; put a TLS proxy in front of it`, { url });
        }
      }
      if (node.viewerUrl !== undefined) say('web', `viewer ${node.viewerUrl} (the token is in the fragment, which the browser keeps to itself)`, { url: node.viewerUrl });
      if (node.httpUrl !== undefined) say('http', `dashboard ${node.httpUrl}/ (metrics ${node.httpUrl}/metrics)`, { url: node.httpUrl });
      const stopProgress = watchProgress(session, say, values['json'] === true ? undefined : terminal);
      const received = signal ?? (await new Promise<string>((resolve) => (wake = resolve)));
      stopProgress();
      say('closing', `${received}: closing (flushing writes to peers)`, { signal: received });
      await node.close();
    } finally {
      stopListening();
    }
    say('closed', 'closed', {});
    return EXIT_CODES.ok;
  },
};

type Say = (event: string, text: string, fields: Record<string, unknown>) => void;

function reporter(json: boolean, terminal: Terminal): Say {
  return (event, text, fields) => terminal.out(json ? JSON.stringify({ event, ...fields, message: text }) : text);
}

/**
 * Prints peer state changes, catch-ups and hydrations as they happen (from status and metrics), and, on `terminal`,
 * a status line for the long ones under way: entries received by a catch-up, chunks of a large value fetched.
 */
function watchProgress(session: Session, say: Say, terminal: Terminal | undefined): () => void {
  let showing = false;
  const states = new Map<string, string>();
  let catchUps = session.metrics().catchUps;
  let hydrations = session.metrics().hydrations;
  let applied = session.metrics().remote.applied;
  const tick = () => {
    const status = session.status();
    const seen = new Set<string>();
    for (const peer of status.peers) {
      seen.add(peer.node);
      if (states.get(peer.node) !== peer.state) {
        states.set(peer.node, peer.state);
        say('peer', `peer ${peer.node} ${peer.state}`, { peer: peer.node, state: peer.state });
      }
    }
    for (const [peer] of states) {
      if (seen.has(peer)) continue;
      states.delete(peer);
      say('peer', `peer ${peer} gone`, { peer, state: 'gone' });
    }
    const metrics = session.metrics();
    if (metrics.catchUps.completed !== catchUps.completed || metrics.catchUps.failed !== catchUps.failed) {
      const failed = metrics.catchUps.failed - catchUps.failed;
      // Anti-entropy catches up every few seconds; only a catch-up that brought something is news.
      if (metrics.catchUps.completed > catchUps.completed && metrics.remote.applied !== applied) {
        say('catch-up', `caught up from peers: ${metrics.remote.applied - applied} writes applied, ${metrics.entries} values now`, { completed: metrics.catchUps.completed, entries: metrics.entries, applied: metrics.remote.applied });
      }
      if (failed > 0) say('catch-up', `${failed} catch-up(s) failed; retried when the peer reconnects`, { failed: metrics.catchUps.failed });
      catchUps = metrics.catchUps;
    }
    applied = metrics.remote.applied;
    const h = metrics.hydrations;
    if (h.pending !== hydrations.pending || h.completed !== hydrations.completed || h.failed !== hydrations.failed) {
      say('hydration', h.pending > 0 ? `fetching large values: ${h.pending} pending, ${h.completed} fetched, ${h.failed} failed` : `large values fetched: ${h.completed} in all, ${h.failed} failed`, { ...h });
      hydrations = h;
    }
    if (terminal !== undefined) {
      const line = progressLine(session.progress());
      if (line !== undefined) terminal.progress(line);
      else if (showing) terminal.progressDone();
      showing = line !== undefined;
    }
  };
  tick();
  const timer = setInterval(tick, 250);
  return () => clearInterval(timer);
}

/** One status line for what is under way, or undefined when nothing is. */
export function progressLine(progress: SessionProgress): string | undefined {
  const parts = [
    ...progress.catchUps.map((c) => `catching up from ${c.peer}: ${c.entries.toLocaleString('en-US')} entr${c.entries === 1 ? 'y' : 'ies'} in ${c.pages} page${c.pages === 1 ? '' : 's'} (${(c.elapsedMs / 1000).toFixed(1)} s)`),
    ...progress.hydrations
      .filter((h) => h.state === 'pending')
      .map((h) => `fetching ${h.path} (${mebibytes(h.size)}): ${h.chunks === 0 ? 'manifest' : `${h.fetched}/${h.chunks} chunks, ${Math.floor((100 * h.fetched) / h.chunks)}%`}`),
  ];
  return parts.length === 0 ? undefined : parts.join('; ');
}

function mebibytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function nodeConfigFrom(values: OptionValues, terminal: Terminal): NodeConfig {
  const file = typeof values['config'] === 'string' ? readNodeConfig(values['config']) : undefined;
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const list = (name: string) => (Array.isArray(values[name]) ? (values[name] as string[]) : undefined);
  const clusterId = str('cluster') ?? file?.clusterId;
  const nodeId = str('id') ?? file?.nodeId;
  if (clusterId === undefined || nodeId === undefined) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}a node needs a cluster id and a node id: --cluster <id> --id <node>, or "clusterId" and "nodeId" in --config`);
  }
  const config: Record<string, unknown> = { ...file, clusterId, nodeId };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) config[key] = value;
  };
  set('listen', str('listen'));
  set('seeds', list('seed'));
  set('interests', list('interest'));
  set('mounts', list('mount')?.map(parseMount));
  set('transport', str('transport'));
  applyNatsFlag(config, list('nats'));
  set('blobStorePath', str('blob-store'));
  const hydrate = str('hydrate');
  if (hydrate !== undefined) set('hydrate', parseHydrate(hydrate));
  set('dataDir', str('data'));
  set('durability', str('durability'));
  if (values['heartbeat-ms'] !== undefined) set('heartbeatIntervalMs', integer(values['heartbeat-ms'], 'heartbeat-ms', 1000));
  set('allowedHosts', list('allow-host'));
  // The links' token: --link-token-file, else $STATEMESH_LINK_TOKEN_FILE, else $STATEMESH_LINK_TOKEN.
  const linkToken = secretFrom(str('link-token-file') ?? terminal.env['STATEMESH_LINK_TOKEN_FILE'], terminal.env['STATEMESH_LINK_TOKEN'], (line) => terminal.err(line));
  if (linkToken !== undefined) config['auth'] = { ...file?.auth, expectedToken: linkToken, outboundToken: linkToken };
  const admin = str('admin');
  const fileAdmin = file?.admin === false ? undefined : file?.admin;
  // --token is refused here (it would show in ps); --token-file beats the config file, which beats the environment.
  const warn = (line: string) => terminal.err(line);
  const flagToken = values['token'] !== undefined || values['token-file'] !== undefined ? tokenFrom(values, {}, warn) : undefined;
  if (admin === 'off') config['admin'] = false;
  else if (file?.admin !== false || admin !== undefined || flagToken !== undefined) {
    const fromFile = fileAdmin?.token !== undefined || fileAdmin?.tokenFile !== undefined;
    const token = flagToken ?? (fromFile ? undefined : tokenFrom({}, terminal.env, warn));
    if (fileAdmin?.tokenFile !== undefined && flagToken === undefined) {
      const warning = tokenFileWarning(fileAdmin.tokenFile);
      if (warning !== undefined) warn(warning);
    }
    config['admin'] = { ...fileAdmin, ...(admin === undefined ? {} : { listen: admin }), ...(token === undefined ? {} : { token, tokenFile: undefined }) };
  }
  const httpPort = str('http-port');
  if (httpPort !== undefined || str('http-host') !== undefined) {
    config['http'] = { ...file?.http, ...(httpPort === undefined ? {} : { port: integer(httpPort, 'http-port', 0) }), ...(str('http-host') === undefined ? {} : { host: str('http-host') }) };
  }
  const web = str('web');
  if (web !== undefined || file?.web !== undefined) {
    const tokenFile = str('web-token-file') ?? terminal.env['STATEMESH_WEB_TOKEN_FILE'];
    const envToken = terminal.env['STATEMESH_WEB_TOKEN'];
    const fromFile = file?.web?.token !== undefined || file?.web?.tokenFile !== undefined;
    config['web'] = {
      ...file?.web,
      ...(web === undefined ? {} : { listen: web }),
      ...(tokenFile !== undefined && tokenFile !== '' ? { tokenFile, token: undefined } : !fromFile && envToken !== undefined && envToken !== '' ? { token: envToken } : {}),
      ...(str('web-volume') === undefined ? {} : { volume: str('web-volume') }),
      ...(values['insecure'] === true ? { insecure: true } : {}),
    };
  } else if (str('web-token-file') !== undefined || str('web-volume') !== undefined || values['insecure'] === true) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}--web-token-file, --web-volume and --insecure go with --web <host:port>`);
  }
  return config as unknown as NodeConfig;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
}

/** A listener refused for want of a token, said in this command's terms (its flags and environment). */
function linkTokenHint(error: unknown, config: NodeConfig): unknown {
  const address = isStatemeshError(error, 'INVALID_CONFIG') ? (error.details as { address?: unknown } | undefined)?.address : undefined;
  if (typeof address !== 'string' || !address.startsWith('tcp://') || config.auth?.expectedToken !== undefined) return error;
  return new StatemeshError(
    'INVALID_CONFIG',
    `${PREFIX}refusing to listen on ${address} without a token (any user of this machine could link and write as any node): give one in a file readable only by you, --link-token-file <file> or $STATEMESH_LINK_TOKEN_FILE (or the token in $STATEMESH_LINK_TOKEN), the same on its peers; or listen on a Unix socket path (owner-only); or set "insecure": true in the config`,
    { cause: error, details: { address } },
  );
}
