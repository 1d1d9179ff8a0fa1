/** Names of a store's files: `log-<segment>.sml` and `snapshot-<segment>.sms`, segments as 12 decimal digits. */
export const LOG_SUFFIX = '.sml';
export const SNAPSHOT_SUFFIX = '.sms';
/** Suffix of a snapshot being written; one left by a crash is removed on open. */
export const TEMP_SUFFIX = '.tmp';

/** The file name of log segment `segment`. */
export function logName(segment: number): string {
  return `log-${String(segment).padStart(12, '0')}${LOG_SUFFIX}`;
}

/** The file name of the snapshot that holds everything before log segment `segment`. */
export function snapshotName(segment: number): string {
  return `snapshot-${String(segment).padStart(12, '0')}${SNAPSHOT_SUFFIX}`;
}

/** The kind and segment of a store file's name, or undefined for any other name. */
export function parseName(name: string): { kind: 'log' | 'snapshot' | 'temp'; segment: number } | undefined {
  if (name.endsWith(TEMP_SUFFIX)) return { kind: 'temp', segment: 0 };
  const match = /^(log|snapshot)-(\d{12})\.(sml|sms)$/.exec(name);
  if (match === null) return undefined;
  if ((match[1] === 'log') !== (match[3] === 'sml')) return undefined;
  return { kind: match[1] as 'log' | 'snapshot', segment: Number(match[2]) };
}
