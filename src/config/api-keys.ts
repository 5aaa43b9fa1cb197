import { createHash } from 'node:crypto';

/** One accepted API key: its name (for logs, metrics and ownership), the key itself, and its share of the workers. */
export interface ApiKey {
  name: string;
  key: string;
  /** API_KEY_WEIGHTS: its share of the workers against other keys' while they wait (1 unless set). */
  weight: number;
}

/**
 * `API_KEYS`: `key` or `name:key` entries, comma-separated; undefined when malformed. A key without a
 * name is named by a digest of it, so logs never carry the key.
 */
export function parseApiKeys(value: string): Array<Omit<ApiKey, 'weight'>> | undefined {
  const keys: Array<Omit<ApiKey, 'weight'>> = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    const match = /^(?:([A-Za-z0-9._-]{1,64}):)?([A-Za-z0-9._~+/=-]{24,256})$/.exec(entry);
    if (!match) return undefined;
    const key = match[2];
    keys.push({ name: match[1] ?? `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, key });
  }
  const unique = (values: string[]) => new Set(values).size === values.length;
  return unique(keys.map((k) => k.name)) && unique(keys.map((k) => k.key)) ? keys : undefined;
}

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
