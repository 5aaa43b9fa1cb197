import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import type { Concern } from './concern.js';
import { asBoolean, asNumber, MAX_TIMER_MS, Variable } from './variable.js';

/** How images are fetched from the URLs of a CSV: time, retries, redirects, and which addresses. */
export class DownloadsConfig {
  @Variable('DOWNLOAD_TIMEOUT_MS', {
    read: asNumber,
    default: 20_000,
    description: 'Limit on a whole image download, first byte to last',
  })
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  readonly timeoutMs: number;

  @Variable('DOWNLOAD_RETRIES', {
    read: asNumber,
    default: 3,
    description: 'Retries of a transient download failure (timeout, connection, 408, 429, 5xx)',
  })
  @IsInt()
  @Min(0)
  @Max(10)
  readonly retries: number;

  @Variable('DOWNLOAD_RETRY_BASE_MS', {
    read: asNumber,
    default: 1000,
    description:
      "Backoff before retry n: between ½ and 1 × base × 2ⁿ⁻¹ (or the server's `Retry-After`, if longer)",
  })
  @IsInt()
  @Min(0)
  @Max(MAX_TIMER_MS)
  readonly retryBaseMs: number;

  @Variable('MAX_RETRY_AFTER_MS', {
    read: asNumber,
    default: 600_000,
    aside: '10 min',
    description:
      'Longest `Retry-After` honoured (downloads and webhooks); a longer, unparsable or infinite one is ignored and the normal backoff applies',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_TIMER_MS)
  readonly maxRetryAfterMs: number;

  @Variable('MAX_REDIRECTS', { read: asNumber, default: 5, description: 'Redirects followed per download' })
  @IsInt()
  @Min(0)
  @Max(20)
  readonly maxRedirects: number;

  @Variable('ALLOW_PRIVATE_URLS', {
    read: asBoolean,
    default: false,
    description:
      "`true`: images and webhooks may be fetched from loopback and private addresses (this machine, the local network). For trying the service with local images and for tests; leave it off where strangers' CSVs arrive (SSRF; see [security](security.md#ssrf-policy)). In scale-out, the workers are the processes that fetch",
  })
  @IsBoolean()
  readonly allowPrivateUrls: boolean;
}

export const downloads: Concern<DownloadsConfig> = { title: 'Downloads', schema: DownloadsConfig };
