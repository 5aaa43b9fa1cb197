/**
 * `API_KEY_WEIGHTS`: `name=weight` entries, comma-separated, each weight an integer from 1 to 1000 and
 * each name once; undefined when malformed. A key's weight is its share of the workers against the
 * other keys' (a key of weight 3 gets three times the share of a key of weight 1 while both wait).
 */
export function parseApiKeyWeights(value: string): Map<string, number> | undefined {
  const weights = new Map<string, number>();
  for (const entry of value.split(',').map((part) => part.trim())) {
    const match = /^([A-Za-z0-9._-]{1,64})=([1-9][0-9]{0,2}|1000)$/.exec(entry);
    if (!match || weights.has(match[1])) return undefined;
    weights.set(match[1], Number(match[2]));
  }
  return weights;
}
