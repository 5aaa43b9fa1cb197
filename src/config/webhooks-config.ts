import { IsInt, Max, Min, ValidateBy } from 'class-validator';
import { atMost, type Concern } from './concern.js';
import { asIntList, asNumber, derived, MAX_TIMER_MS, Variable } from './variable.js';

/** Standard Webhooks / Svix schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [
  0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/** `whsec_<base64>` whose key is 24 to 64 bytes, as the Standard Webhooks specification recommends. */
function isWebhookSecret(value: string): boolean {
  const base64 = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/.exec(value)?.[1];
  if (!base64) return false;
  const bytes = Buffer.from(base64, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

/** How request webhooks are signed, sent and retried, and how many at once. */
export class WebhooksConfig {
  @Variable('WEBHOOK_SECRET', {
    secret: true,
    shown: 'unset',
    description:
      '`whsec_<base64 key>` with a random key of 24 to 64 bytes (e.g. `echo whsec_$(openssl rand -base64 32)`): sign webhooks. Never printed, not even when refused',
  })
  @ValidateBy({
    name: 'isWebhookSecret',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isWebhookSecret(value),
      defaultMessage: () =>
        'WEBHOOK_SECRET must be whsec_ followed by the base64 of a random key of 24 to 64 bytes (Standard Webhooks)',
    },
  })
  readonly secret?: string;

  @Variable('WEBHOOK_TIMEOUT_MS', {
    read: asNumber,
    default: 15_000,
    description: 'Limit on one webhook attempt',
  })
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  readonly timeoutMs: number;

  @Variable('WEBHOOK_RETRY_DELAYS_MS', {
    read: asIntList,
    default: DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
    description: 'Delay before each attempt (±20% jitter)',
  })
  @IsInt({ each: true })
  @Min(0, { each: true })
  readonly retryDelaysMs: number[];

  /** Webhook attempts in flight at once in this process, at most. */
  @Variable('WEBHOOK_CONCURRENCY', {
    read: asNumber,
    default: 64,
    description:
      'Webhook attempts in flight at once per worker process (1–10000); each attempt runs on its own',
  })
  @IsInt()
  @Min(1)
  @Max(10_000)
  readonly concurrency: number;

  /** …of which to one receiver (a URL's origin) at most. */
  @Variable('WEBHOOK_CONCURRENCY_PER_RECEIVER', {
    read: asNumber,
    default: derived((webhooks: WebhooksConfig) => Math.min(4, webhooks.concurrency)),
    shown: '`min(4, WEBHOOK_CONCURRENCY)`',
    description: "…of which to one receiver (a webhook URL's origin) at most; at most `WEBHOOK_CONCURRENCY`",
  })
  @IsInt()
  @Min(1)
  @Max(10_000)
  readonly concurrencyPerReceiver: number;

  /** …of which for one API key's requests at most (not applied while the service is open: one client then). */
  @Variable('WEBHOOK_CONCURRENCY_PER_KEY', {
    read: asNumber,
    default: derived((webhooks: WebhooksConfig) => Math.min(16, webhooks.concurrency)),
    shown: '`min(16, WEBHOOK_CONCURRENCY)`',
    description:
      "…of which for one API key's requests at most (not applied while the service is open); at most `WEBHOOK_CONCURRENCY`",
  })
  @IsInt()
  @Min(1)
  @Max(10_000)
  readonly concurrencyPerKey: number;
}

export const webhooks: Concern<WebhooksConfig> = {
  title: 'Webhooks',
  schema: WebhooksConfig,
  check: (values, _config, refuse) => [
    ...atMost(
      refuse,
      'WEBHOOK_CONCURRENCY_PER_RECEIVER',
      values.concurrencyPerReceiver,
      'WEBHOOK_CONCURRENCY',
      values.concurrency,
    ),
    ...atMost(
      refuse,
      'WEBHOOK_CONCURRENCY_PER_KEY',
      values.concurrencyPerKey,
      'WEBHOOK_CONCURRENCY',
      values.concurrency,
    ),
  ],
};
