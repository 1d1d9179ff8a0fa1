import { StatemeshError, type ReplicaStoreStats } from '@statemesh/session';
import { AdminClient } from './admin-client.js';
import type { Command, OptionValues } from './command.js';
import { formatSkew } from './clock-skew.js';
import { EXIT_CODES } from './exit-codes.js';
import type { Terminal } from './terminal.js';
import { describeValue, type ValueView } from './value-view.js';
import { mebibytes } from './request-body.js';
import { tokenFrom } from './admin-token.js';
import type { ClusterMember } from './cluster-view.js';
import { parseWaitMs, parseWriteWait } from './write-wait.js';

/** The options every command that talks to a running node accepts. */
export const CONNECTION_OPTIONS = {
  node: { type: 'string' },
  'token-file': { type: 'string' },
  // Parsed only to refuse it with a message that says what to do instead.
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The help lines of {@link CONNECTION_OPTIONS}. */
export const CONNECTION_HELP = `Connection:
  --node <url>          the node's admin API (default $STATEMESH_NODE, else http://127.0.0.1:7700)
  --token-file <file>   a file holding the node's admin token (default $STATEMESH_TOKEN_FILE; or the token
                        itself in $STATEMESH_TOKEN). Never on the command line: other users see it in ps.
  --json                print JSON (one document, or one per line for streams)`;

/** The default admin URL. */
export const DEFAULT_NODE_URL = 'http://127.0.0.1:7700';

/** An admin client for the node named by `--node`/`--token` or the environment. */
export function clientFor(values: OptionValues, terminal: Terminal): AdminClient {
  const url = str(values['node']) ?? terminal.env['STATEMESH_NODE'] ?? DEFAULT_NODE_URL;
  return new AdminClient(url, tokenFrom(values, terminal.env, (line) => terminal.err(line)) ?? '');
}

function str(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const PREFIX = '@statemesh/cli: ';

/** `statemesh status`. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'show a running node: peers, sequence, counters, digest',
  usage: 'statemesh status [--json]',
  help: 'Exit 0 when the node answers.',
  options: CONNECTION_OPTIONS,
  positionals: [0, 0],
  async run(values, _positionals, terminal) {
    const view = await clientFor(values, terminal).status();
    if (values['json'] === true) {
      terminal.out(JSON.stringify(view, null, 2));
      return EXIT_CODES.ok;
    }
    const { status, metrics } = view;
    terminal.out(`node        ${status.nodeId} (cluster ${status.clusterId}) ${status.running ? 'running' : 'closed'}`);
    terminal.out(`peers       ${status.peerCount} up: ${status.peers.map((p) => `${p.node} ${p.state}${p.clockSkewMs === undefined ? '' : ` (clock ${formatSkew(p.clockSkewMs)})`}`).join(', ') || 'none'}`);
    const announcing = status.peers.filter((p) => p.links !== undefined);
    if (announcing.length > 0) terminal.out(`links       ${announcing.map((p) => `${p.node} to ${describeLinks(p)}`).join('; ')}`);
    terminal.out(`local seq   ${status.localSequence}`);
    terminal.out(`entries     ${metrics.entries} (${metrics.tombstones} tombstone${metrics.tombstones === 1 ? '' : 's'})`);
    terminal.out(`remote      ${metrics.remote.applied} applied, ${metrics.remote.duplicates} duplicates, ${metrics.remote.rejected} rejected`);
    terminal.out(`conflicts   ${metrics.conflicts.detected} detected, ${metrics.conflicts.lost} lost by this node`);
    terminal.out(`catch-ups   ${metrics.catchUps.completed} completed, ${metrics.catchUps.failed} failed`);
    terminal.out(`hydrations  ${metrics.hydrations.pending} pending, ${metrics.hydrations.completed} completed, ${metrics.hydrations.failed} failed`);
    terminal.out(`vector      ${Object.entries(view.vector).map(([origin, seq]) => `${origin}:${seq}`).join(' ') || '(empty)'}`);
    terminal.out(`digest      ${view.digest}`);
    if (view.store !== undefined) terminal.out(`store       ${describeStore(view.store)}`);
    const others = view.cluster.members.filter((m) => m.state === 'dead' || m.state === 'relayed' || m.state === 'announced');
    if (others.length > 0) terminal.out(`also known  ${others.map(describeMember).join(', ')}`);
    return EXIT_CODES.ok;
  },
};

/** `statemesh peers`. */
export const peersCommand: Command = {
  name: 'peers',
  summary: "list a node's peers, their states and replication lag",
  usage: 'statemesh peers [--json]',
  help: `Columns: node, state (up, suspect, connecting, down), milliseconds since last heard, local writes the peer is not known to have,
the peer's clock minus this node's (from its heartbeats; "-" until three have come; beyond the drift bound its writes are refused),
the nodes the peer announced it is linked to (from its heartbeats; "none announced" for an older version).
Below them, nodes this one knows of but is not linked to: peers that left (dead, with when they were last heard)
and nodes whose writes reach it through a relay (relayed, via that peer) or that a peer announced a link to (announced).
--json lists the linked peers only.`,
  options: CONNECTION_OPTIONS,
  positionals: [0, 0],
  async run(values, _positionals, terminal) {
    const client = clientFor(values, terminal);
    const peers = await client.peers();
    if (values['json'] === true) {
      terminal.out(JSON.stringify(peers, null, 2));
      return EXIT_CODES.ok;
    }
    const { cluster } = await client.status();
    const now = Date.now();
    const others = cluster.members.filter((m) => m.state === 'dead' || m.state === 'relayed' || m.state === 'announced');
    if (peers.length === 0 && others.length === 0) terminal.out('no peers');
    else {
      terminal.out(table([
        ['NODE', 'STATE', 'LAST HEARD', 'LAG', 'CLOCK SKEW', 'LINKS'],
        ...peers.map((p) => [p.node, p.state, `${p.lastSeenMs} ms`, String(p.lagSeq), p.clockSkewMs === undefined ? '-' : formatSkew(p.clockSkewMs), p.links === undefined ? 'none announced' : describeLinks(p)]),
        ...others.map((m) => [m.node, m.state === 'relayed' && m.via !== undefined ? `relayed via ${m.via}` : m.state, m.lastHeardAt === undefined ? '-' : `${now - m.lastHeardAt} ms`, '-', '-', '-']),
      ]));
    }
    return EXIT_CODES.ok;
  },
};

/** `statemesh get <path>`. */
export const getCommand: Command = {
  name: 'get',
  summary: 'print the value at a path (waits for a large value being fetched)',
  usage: 'statemesh get <path> [--json] [--raw] [--wait-ms 60000]',
  help: `Prints JSON values as JSON and text as is; binary values as a size summary, or their bytes with --raw.
While a large value is still being fetched from peers, waits (showing progress) up to --wait-ms.
  --raw          write the bytes of a binary value to standard output
  --wait-ms <n>  how long to wait for a pending value (default 60000; 0: do not wait)
Exit 3 when there is no value at the path.`,
  options: { ...CONNECTION_OPTIONS, raw: { type: 'boolean' }, 'wait-ms': { type: 'string' } },
  positionals: [1, 1],
  async run(values, [path], terminal) {
    const client = clientFor(values, terminal);
    const waitMs = integer(values['wait-ms'], 'wait-ms', 60_000);
    const raw = values['raw'] === true;
    let view = await client.get(path!);
    if (view === undefined) {
      terminal.err(`${PREFIX}no value at ${path}`);
      return EXIT_CODES.notFound;
    }
    if (view.pending && waitMs > 0) view = await waitForHydration(client, view, waitMs, terminal);
    if (view === undefined) {
      terminal.err(`${PREFIX}the value at ${path} was deleted while it was being fetched`);
      return EXIT_CODES.notFound;
    }
    if (values['json'] === true) terminal.out(JSON.stringify(view, null, 2));
    else if (raw && !view.pending && view.type !== 'json' && view.type !== 'text') await client.pipeBytes(path!, process.stdout);
    else terminal.out(describeValue(view));
    return view.pending ? EXIT_CODES.failure : EXIT_CODES.ok;
  },
};

/** Polls a pending value until it is hydrated, with a progress line; throws `TIMEOUT` after `waitMs`. */
async function waitForHydration(client: AdminClient, pending: ValueView, waitMs: number, terminal: Terminal): Promise<ValueView | undefined> {
  const started = Date.now();
  let view: ValueView | undefined = pending;
  try {
    while (view?.pending === true) {
      const elapsed = Date.now() - started;
      if (elapsed > waitMs) {
        throw new StatemeshError('TIMEOUT', `${PREFIX}${pending.path} is still being fetched after ${waitMs} ms; check that a peer holding it is up (statemesh peers), or raise --wait-ms`);
      }
      const { metrics } = await client.status();
      terminal.progress(`fetching ${pending.path}: ${formatBytes(pending.size)} of ${pending.type} from peers, ${(elapsed / 1000).toFixed(1)} s (node: ${metrics.hydrations.pending} value${metrics.hydrations.pending === 1 ? '' : 's'} pending, ${metrics.hydrations.completed} fetched)`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      view = await client.get(pending.path);
    }
  } finally {
    terminal.progressDone();
  }
  if (view !== undefined) terminal.err(`fetched ${pending.path} (${formatBytes(view.size)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return view;
}

/** `statemesh set <path> <json>`. */
export const setCommand: Command = {
  name: 'set',
  summary: 'write a JSON value (a string with --text, a file\'s bytes with --file) at a path',
  usage: 'statemesh set <path> <json> [--text] | statemesh set <path> --file <file> [--type <type>]  [--wait local|durable|replicated:N] [--wait-ms <n>] [--json]',
  help: `The value is JSON: 42, true, '"a string"', '{"fov": 45}'. With --text the argument is stored as a string.
  --text           store the argument as a string (type text)
  --file <file>    store the bytes of a file (- for standard input), streamed to the node as they are: any size
                   the node takes (admin.maxValueBytes, 1 GiB by default; larger is refused before it is sent).
                   A progress line on a terminal. Large values travel between nodes as chunks.
  --type <type>    the value type of --file bytes (default bytes; e.g. brick-manifest)
  --wait <level>   answer once the write got this far: local (default: applied on the node), durable (on the
                   node's disk: a node started with --data; survives every node crashing), replicated:N (N other
                   nodes acknowledged it; survives losing N nodes). Exit 1 with TIMEOUT when not reached in time.
  --wait-ms <n>    how long --wait may take (default 10000)
Prints the new version as origin#seq.`,
  options: { ...CONNECTION_OPTIONS, text: { type: 'boolean' }, file: { type: 'string' }, type: { type: 'string' }, wait: { type: 'string' }, 'wait-ms': { type: 'string' } },
  positionals: [1, 2],
  async run(values, [path, input], terminal) {
    const file = typeof values['file'] === 'string' ? values['file'] : undefined;
    if ((file === undefined) === (input === undefined)) {
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}set takes a value or --file <file>, not ${file === undefined ? 'neither' : 'both'}`);
    }
    const client = clientFor(values, terminal);
    const wait = {
      wait: parseWriteWait(typeof values['wait'] === 'string' ? values['wait'] : undefined),
      waitMs: parseWaitMs(typeof values['wait-ms'] === 'string' ? values['wait-ms'] : undefined),
    };
    let result;
    if (file !== undefined) {
      const started = Date.now();
      const progress = terminal.interactive === true
        ? (sent: number, total: number | undefined) => terminal.progress(`sending ${file}: ${mebibytes(sent)}${total === undefined || total === 0 ? '' : ` of ${mebibytes(total)} (${Math.floor((100 * sent) / total)}%)`}, ${((Date.now() - started) / 1000).toFixed(1)} s`)
        : undefined;
      try {
        result = await client.setFile(path!, file, typeof values['type'] === 'string' ? values['type'] : 'bytes', progress, wait);
      } finally {
        terminal.progressDone();
      }
    } else if (values['text'] === true) {
      result = await client.setText(path!, input!, wait);
    } else {
      let value: unknown;
      try {
        value = JSON.parse(input!);
      } catch {
        throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}${JSON.stringify(input)} is not JSON; quote a string as '"${input}"' or pass --text`);
      }
      result = await client.set(path!, value, wait);
    }
    terminal.out(values['json'] === true ? JSON.stringify(result) : `set ${result.path} (${result.version.origin}#${result.version.seq})${result.wait === undefined || result.wait === 'local' ? '' : `, ${result.wait}`}`);
    return EXIT_CODES.ok;
  },
};

/** `statemesh delete <path>` or `statemesh delete --all`. */
export const deleteCommand: Command = {
  name: 'delete',
  summary: 'delete the subtree at a path (the whole tree only with --all)',
  usage: 'statemesh delete <path> [--json] | statemesh delete --all',
  help: `Deletes the value at the path and every value below it, on every replica.
  --all   delete the whole tree, on every replica (the empty path is refused without it)`,
  options: { ...CONNECTION_OPTIONS, all: { type: 'boolean' } },
  positionals: [0, 1],
  async run(values, [path], terminal) {
    const all = values['all'] === true;
    if (all === (path !== undefined)) {
      throw new StatemeshError('INVALID_ARGUMENT', all ? `${PREFIX}delete --all deletes the whole tree and takes no path; leave out one or the other` : `${PREFIX}delete takes a path, or --all for the whole tree`);
    }
    if (path === '') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the empty path is the whole tree, on every replica; to mean that, say statemesh delete --all`);
    const client = clientFor(values, terminal);
    const result = all ? await client.deleteAll() : await client.delete(path!);
    terminal.out(values['json'] === true ? JSON.stringify(result) : `deleted ${all ? 'the whole tree' : result.path} (${result.version.origin}#${result.version.seq})`);
    return EXIT_CODES.ok;
  },
};

/** `statemesh ls [prefix]`. */
export const lsCommand: Command = {
  name: 'ls',
  summary: 'list the values under a prefix',
  usage: 'statemesh ls [prefix] [--json]',
  help: `Lists path, type, value (binary values as their size) and version. Without a prefix: the whole tree.
The node's own metrics are under the reserved prefix __system (list them with: statemesh ls __system).`,
  options: CONNECTION_OPTIONS,
  positionals: [0, 1],
  async run(values, [prefix], terminal) {
    const entries = await clientFor(values, terminal).entries(prefix ?? '');
    if (values['json'] === true) terminal.out(JSON.stringify(entries, null, 2));
    else if (entries.length > 0) {
      terminal.out(table(entries.map((e) => [e.path, e.type, describeValue(e), `${e.version.origin}#${e.version.seq}`])));
    }
    return EXIT_CODES.ok;
  },
};

/** `statemesh conflicts`. */
export const conflictsCommand: Command = {
  name: 'conflicts',
  summary: 'list the most recent conflicts (concurrent writes that lost)',
  usage: 'statemesh conflicts [--max 32] [--json]',
  help: '  --max <n>  how many, most recent first (default 32, at most 128)',
  options: { ...CONNECTION_OPTIONS, max: { type: 'string' } },
  positionals: [0, 0],
  async run(values, _positionals, terminal) {
    const conflicts = await clientFor(values, terminal).conflicts(integer(values['max'], 'max', 32));
    if (values['json'] === true) terminal.out(JSON.stringify(conflicts, null, 2));
    else if (conflicts.length === 0) terminal.out('no conflicts');
    else {
      for (const c of conflicts) terminal.out(`${new Date(c.at).toISOString()}  ${c.path}: ${c.winner.origin}#${c.winner.seq} beat ${c.loser.origin}#${c.loser.seq}`);
    }
    return EXIT_CODES.ok;
  },
};

function describeMember(member: ClusterMember): string {
  if (member.state === 'announced') return `${member.node} (a peer announced a link to it)`;
  const heard = member.lastHeardAt === undefined ? '' : `, last heard ${((Date.now() - member.lastHeardAt) / 1000).toFixed(1)} s ago`;
  return `${member.node} ${member.state}${member.via === undefined ? '' : ` via ${member.via}`}${heard}`;
}

/** Parses a non-negative integer option; throws `INVALID_ARGUMENT` (exit 2). */
export function integer(value: OptionValues[string], name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 0) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}--${name} must be a whole number ≥ 0, not ${JSON.stringify(value)}`);
  return n;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

function formatBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

/** `12.3 MiB on disk, log 4 096 records (1.2 MiB), last snapshot 2026-12-01T21:00:00Z (5 000 entries)`. */
function describeStore(store: ReplicaStoreStats): string {
  const snapshot = store.snapshotAtMs === undefined ? 'no snapshot yet' : `last snapshot ${new Date(store.snapshotAtMs).toISOString()} (${store.snapshotEntries} entries)`;
  const full = store.fullErrors > 0 ? `, disk full ${store.fullErrors} time${store.fullErrors === 1 ? '' : 's'}` : '';
  return `${mebibytes(store.bytes)} on disk (${store.durability}), log ${store.logRecords} records (${mebibytes(store.logBytes)}), ${snapshot}${full}`;
}

/** A peer's announced links, "a,c" (and "of N" when it has more than it listed). */
function describeLinks(peer: { readonly links?: readonly string[] | undefined; readonly linkCount?: number | undefined }): string {
  return (peer.links ?? []).join(',') + (peer.linkCount === undefined ? '' : ` (of ${peer.linkCount})`);
}
