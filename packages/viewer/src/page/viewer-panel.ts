// The side panel: volume, bricks loaded / visible / total, bytes fetched against the volume's size, peers and
// their states, conflicts, camera latency and the annotations. Plain DOM, redrawn a few times a second.
import type { PeerStatus } from '@statemesh/session/browser';
import type { VolumeViewStats } from '@statemesh/volume';
import type { SharedConflict } from './shared-conflicts.js';

/** What the panel shows. */
export interface PanelState {
  readonly nodeId: string;
  readonly volume: string | undefined;
  readonly volumeInfo: string | undefined;
  /** Level-0 bytes of the volume. */
  readonly volumeBytes: number;
  readonly stats: VolumeViewStats | undefined;
  readonly peers: readonly PeerStatus[];
  readonly conflicts: readonly SharedConflict[];
  readonly latency: { readonly p50: number; readonly p99: number; readonly count: number } | undefined;
  readonly annotations: readonly { readonly id: string; readonly text: string; readonly by: string }[];
}

const MIB = 1024 * 1024;

/** Fills the panel's elements (found by id) from `state`. */
export function renderPanel(state: PanelState): void {
  text('node', state.nodeId);
  text('volume', state.volume === undefined ? 'no volume in the tree yet' : `${state.volume} ${state.volumeInfo ?? '(loading its manifests)'}`);
  const s = state.stats;
  text('bricks', s === undefined ? '-' : `${s.bricksLoaded} loaded / ${s.bricksVisible} visible / ${s.bricksTotal} total`);
  text(
    'fetched',
    s === undefined ? '-' : `${mib(s.bytesFetched)} MiB fetched of ${mib(state.volumeBytes)} MiB (${state.volumeBytes === 0 ? 0 : ((100 * s.bytesFetched) / state.volumeBytes).toFixed(1)}%; all levels ${mib(s.bytesTotal)} MiB)`,
  );
  text('latency', state.latency === undefined ? 'no camera move from another viewer yet' : `camera from other viewers: p50 ${state.latency.p50.toFixed(1)} ms, p99 ${state.latency.p99.toFixed(1)} ms (${state.latency.count} moves)`);
  list('peers', state.peers.length === 0 ? ['none: offline, reconnecting'] : state.peers.map((p) => `${p.node}: ${p.state}`), (item, i) => {
    const peer = state.peers[i];
    if (peer !== undefined) item.dataset['state'] = peer.state;
  });
  list('conflicts', state.conflicts.length === 0 ? ['none'] : state.conflicts.map((c) => `${c.path}: ${c.winner} beat ${c.loser} (seen by ${c.seenBy})`));
  list('annotations', state.annotations.length === 0 ? ['none'] : state.annotations.map((a) => `${a.text} (${a.by})`));
}

/** Shows a message above the picture: `error` in red, otherwise a notice; undefined hides it. */
export function showMessage(message: string | undefined, kind: 'error' | 'notice' = 'notice'): void {
  const element = document.getElementById('message');
  if (element === null) return;
  element.hidden = message === undefined;
  element.textContent = message ?? '';
  element.className = kind;
}

function text(id: string, value: string): void {
  const element = document.getElementById(id);
  if (element !== null && element.textContent !== value) element.textContent = value;
}

function list(id: string, items: readonly string[], decorate?: (item: HTMLElement, index: number) => void): void {
  const element = document.getElementById(id);
  if (element === null) return;
  const same = element.children.length === items.length && items.every((line, i) => element.children[i]!.textContent === line);
  if (same) return;
  element.replaceChildren(
    ...items.map((line, i) => {
      const item = document.createElement('li');
      item.textContent = line;
      decorate?.(item, i);
      return item;
    }),
  );
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(2);
}
