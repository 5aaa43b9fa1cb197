import { IsInt, Min, ValidateBy } from 'class-validator';
import { type ApiKey, parseApiKeys, parseApiKeyWeights } from './api-keys.js';
import type { Concern } from './concern.js';
import { asNumber, derived, Variable } from './variable.js';

/** Who may call the API, and how much each caller may ask at once. */
export class AccessConfig {
  @Variable('API_KEYS', {
    secret: true,
    read: (text) => parseApiKeys(text) ?? text,
    default: derived(() => []),
    shown: 'unset (open)',
    description:
      '`name:key,name:key…`: who may call the API (see [API keys](api.md#api-keys)). Never printed',
  })
  @ValidateBy({
    name: 'isApiKeyList',
    validator: {
      validate: (value: unknown) => Array.isArray(value),
      defaultMessage: () =>
        'API_KEYS must be a comma-separated list of keys of 24 to 256 characters (A-Z a-z 0-9 . _ ~ + / = -), each optionally "name:key" with a name of 1 to 64 of A-Z a-z 0-9 . _ -, names and keys unique',
    },
  })
  readonly namedKeys: Array<Omit<ApiKey, 'weight'>>;

  @Variable('API_KEY_WEIGHTS', {
    read: (text) => parseApiKeyWeights(text) ?? text,
    default: derived(() => new Map()),
    shown: 'unset (every key 1)',
    description:
      "`name=weight,…` (weights 1–1000, names of `API_KEYS`): a key's share of the workers against the others' while they wait (see [fair shares](scale-out.md#fair-shares-between-clients))",
  })
  @ValidateBy({
    name: 'isApiKeyWeightList',
    validator: {
      validate: (value: unknown) => value instanceof Map,
      defaultMessage: () =>
        'API_KEY_WEIGHTS must be a comma-separated list of name=weight, each name a key name of API_KEYS given once, each weight an integer from 1 to 1000',
    },
  })
  readonly weights: Map<string, number>;

  /** Uploads per minute per API key (per client address when open); 0: no limit. */
  @Variable('RATE_LIMIT_UPLOADS_PER_MIN', {
    read: asNumber,
    default: 60,
    description:
      'Uploads per minute per API key (per client address when open), per API process; `0`: no limit',
  })
  @IsInt()
  @Min(0)
  readonly rateLimitUploadsPerMin: number;

  /** Images queued or processing per API key at most (one bucket when open); 0: no limit. */
  @Variable('MAX_QUEUED_IMAGES_PER_KEY', {
    read: asNumber,
    default: 1_000_000,
    description:
      'Images queued or processing per API key at most (one bucket when open), for uploads and retries; `0`: no limit',
  })
  @IsInt()
  @Min(0)
  readonly maxQueuedImagesPerKey: number;

  /** The accepted keys with their weights; empty: the API is open (a warning says so at start). */
  get keys(): ApiKey[] {
    return this.namedKeys.map((key) => ({ ...key, weight: this.weights.get(key.name) ?? 1 }));
  }
}

export const access: Concern<AccessConfig> = {
  title: 'Access',
  schema: AccessConfig,
  check: (values, _config, refuse) => {
    const unknown = [...values.weights.keys()].filter(
      (name) => !values.namedKeys.some((key) => key.name === name),
    );
    return unknown.length > 0
      ? [refuse('API_KEY_WEIGHTS', `names no key of API_KEYS: ${unknown.join(', ')}`)]
      : [];
  },
};
