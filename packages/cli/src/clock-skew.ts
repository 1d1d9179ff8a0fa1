/** A peer's clock skew as `statemesh peers` and `statemesh status` print it: `+1.2 s ahead`, `-350 ms behind`, `0 ms`. */
export function formatSkew(ms: number): string {
  if (Math.round(ms) === 0) return '0 ms';
  const size = Math.abs(ms) >= 1000 ? `${(Math.abs(ms) / 1000).toFixed(1)} s` : `${Math.round(Math.abs(ms))} ms`;
  return ms > 0 ? `+${size} ahead` : `-${size} behind`;
}
