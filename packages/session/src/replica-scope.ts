import { isUnder, nodeOfOrigin } from '@statemesh/contracts';
import type { HashSpan, ReplicaScope, VersionVector } from '@statemesh/contracts';
import type { HashPartition } from '@statemesh/hash-ring';

/**
 * The scope of a node's replica: the remote writes its gates let in (its interests and, with `enforcePartition`,
 * the hash ranges its partition gives it). A replica's vector claims writes only within its scope: the gates
 * count what they turn away as seen, so a node that takes a wider scope must not trust a vector built under the
 * old one (docs/adr/0004-no-reused-sequence.md).
 */
export function scopeOf(config: { readonly nodeId: string; readonly interests: readonly string[]; readonly enforcePartition: boolean; readonly partition: HashPartition | undefined }): ReplicaScope {
  const interests = interestScope(config.interests);
  if (!config.enforcePartition || config.partition === undefined) return { interests, spans: undefined };
  return { interests, spans: mergeSpans(config.partition.ranges().filter((range) => range.node === config.nodeId)) };
}

/** True when every remote write `inner` lets in, `outer` lets in too. */
export function scopeContains(outer: ReplicaScope, inner: ReplicaScope): boolean {
  const interestsContained =
    outer.interests.length === 0 || (inner.interests.length > 0 && inner.interests.every((prefix) => outer.interests.some((held) => isUnder(prefix, held))));
  if (!interestsContained) return false;
  if (outer.spans === undefined) return true;
  if (inner.spans === undefined) return false;
  const held = mergeSpans(outer.spans);
  return mergeSpans(inner.spans).every((span) => held.some((h) => h.begin <= span.begin && span.end <= h.end));
}

/** True when both scopes let in the same writes. */
export function sameScope(a: ReplicaScope, b: ReplicaScope): boolean {
  return scopeContains(a, b) && scopeContains(b, a);
}

/** What the vector may still claim once the scope grew: this node's own origins only (its own writes, all applied). */
export function ownClaims(vector: VersionVector, nodeId: string): VersionVector {
  const kept: Record<string, number> = {};
  for (const [origin, seq] of Object.entries(vector)) if (nodeOfOrigin(origin) === nodeId) kept[origin] = seq;
  return kept;
}

/** The Hello capability of a node whose partition gate turns writes away: its vector claims them. */
const PARTITIONED = 'scope:partitioned';

/** The capabilities this node announces about its scope. */
export function scopeCapabilities(config: { readonly enforcePartition: boolean }): string[] {
  return config.enforcePartition ? [PARTITIONED] : [];
}

/**
 * Whether a catch-up from a peer (its Hello's interests and capabilities) may raise this node's vector to the
 * peer's: only when the peer's gates let in every write this node's do. A peer with narrower interests, or one
 * that enforces a partition, claims writes it turned away and never holds; its entries are still applied.
 */
export function vouchesFor(peerInterests: readonly string[], peerCapabilities: readonly string[], interests: readonly string[]): boolean {
  if (peerCapabilities.includes(PARTITIONED)) return false;
  return scopeContains({ interests: interestScope(peerInterests), spans: undefined }, { interests: interestScope(interests), spans: undefined });
}

/** Interests as a scope holds them: sorted, each once, empty for everything. */
function interestScope(interests: readonly string[]): string[] {
  return interests.includes('') ? [] : [...new Set(interests)].sort();
}

/** Spans sorted by begin, adjacent and overlapping ones joined. */
function mergeSpans(spans: readonly HashSpan[]): HashSpan[] {
  const sorted = [...spans].sort((a, b) => a.begin - b.begin);
  const out: { begin: number; end: number }[] = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && span.begin <= last.end) last.end = Math.max(last.end, span.end);
    else out.push({ begin: span.begin, end: span.end });
  }
  return out;
}
