/**
 * The delay before attempt `attempt + 1` after `attempt` attempts failed, with ±20% jitter;
 * undefined when the schedule is spent. `delays[0]` is the first attempt's (normally 0: at once).
 */
export function nextRetryDelay(
  delays: number[],
  attempt: number,
  retryAfterMs = 0,
  random = Math.random,
): number | undefined {
  if (attempt >= delays.length) return undefined;
  const jittered = delays[attempt] * (0.8 + 0.4 * random());
  return Math.round(Math.max(jittered, retryAfterMs));
}
