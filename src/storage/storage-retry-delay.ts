/**
 * The wait before the next probe of a store that is not writable, after `failures` failed tries in a row:
 * between half and all of `baseMs` × 2^(failures-1), the ceiling growing no further than `maxMs` (storage
 * outages can last; the jitter stays, so processes sharing a store do not probe in step).
 */
export function storageRetryDelay(
  failures: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
