import type { ShardValue } from '@statemesh/session';

/** A value as the admin API and `--json` output show it: JSON-safe, the version's hlc as a decimal string. */
export interface ValueView {
  readonly path: string;
  readonly type: string;
  readonly version: { readonly hlc: string; readonly origin: string; readonly seq: number };
  /** True while a large value is still being fetched from peers. */
  readonly pending: boolean;
  /** Size in bytes (of the blob while pending). */
  readonly size: number;
  /** The value for types `json` and `text`. */
  readonly value?: unknown;
  /** The bytes of any other type, base64 (only when asked for). */
  readonly base64?: string;
}

/** Turns a session value into its JSON-safe view; `withBytes` adds the bytes of binary values as base64. */
export function toValueView(path: string, value: ShardValue, withBytes: boolean): ValueView {
  const size = value.bytes?.byteLength ?? value.ref?.size ?? 0;
  const view = {
    path,
    type: value.type,
    version: { hlc: value.version.hlc.toString(), origin: value.version.origin, seq: value.version.seq },
    pending: value.pending,
    size,
  };
  if (value.pending) return view;
  if (value.type === 'json' || value.type === 'text') return { ...view, value: value.value };
  if (withBytes && value.bytes !== undefined) return { ...view, base64: Buffer.from(value.bytes).toString('base64') };
  return view;
}

/** One line for a terminal: the JSON or text value, or a summary of binary and pending values. */
export function describeValue(view: ValueView): string {
  if (view.pending) return `<pending: ${view.size} bytes of ${view.type} being fetched>`;
  if (view.type === 'json') return JSON.stringify(view.value);
  if (view.type === 'text') return String(view.value);
  return `<${view.size} bytes of ${view.type}>`;
}
