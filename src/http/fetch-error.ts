import { STATUS_CODES } from 'node:http';

/**
 * Why an outgoing request failed, in a form the callers can store and act on.
 *
 * Codes: `http_<status>`, `timeout`, `too_large`, `blocked_address`,
 * `too_many_redirects`, `connection_failed`, `dns_failed`, `invalid_url`.
 * `retryable` says whether trying the same URL again later may succeed;
 * `retryAfterMs` is the server's `Retry-After`, when it sent one.
 */
export class FetchError extends Error {
  override readonly name = 'FetchError';

  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** An HTTP answer outside 2xx: 408, 429 and 5xx are worth retrying. */
  static http(status: number, statusText?: string, retryAfter?: string | null): FetchError {
    const text = statusText || STATUS_CODES[status] || 'Unknown Status';
    const retryable = status === 408 || status === 429 || status >= 500;
    return new FetchError(`http_${status}`, `HTTP ${status} ${text}`, retryable, parseRetryAfter(retryAfter));
  }

  static timeout(ms: number): FetchError {
    return new FetchError('timeout', `request timed out after ${ms} ms`, true);
  }

  static tooLarge(limitBytes: number): FetchError {
    return new FetchError('too_large', `download exceeded ${formatBytes(limitBytes)} limit`, false);
  }

  static blocked(what: string, range: string): FetchError {
    return new FetchError('blocked_address', `${what} is not allowed (${range})`, false);
  }

  static tooManyRedirects(max: number): FetchError {
    return new FetchError('too_many_redirects', `more than ${max} redirects`, false);
  }

  static invalidUrl(reason: string): FetchError {
    return new FetchError('invalid_url', reason, false);
  }
}

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP-date; undefined if absent or bad. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would take "-5" for a year.
  const date = /^[A-Za-z]{3}/.test(trimmed) ? Date.parse(trimmed) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** 26214400 -> "25 MiB", 1536 -> "1.5 KiB", 1000 -> "1000 bytes". */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}
