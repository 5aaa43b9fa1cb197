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
    /** For the log only, never for the client: e.g. the internal address a name resolved to. */
    readonly detail?: string,
  ) {
    super(message);
  }

  /**
   * An HTTP answer outside 2xx: 408, 429 and 5xx are worth retrying. `retryAfterMs` is the server's
   * `Retry-After` as the caller honours it (see parseRetryAfter).
   */
  static http(status: number, statusText?: string, retryAfterMs?: number): FetchError {
    const text = statusText || STATUS_CODES[status] || 'Unknown Status';
    const retryable = status === 408 || status === 429 || status >= 500;
    return new FetchError(`http_${status}`, `HTTP ${status} ${text}`, retryable, retryAfterMs);
  }

  static timeout(ms: number): FetchError {
    return new FetchError('timeout', `request timed out after ${ms} ms`, true);
  }

  static tooLarge(limitBytes: number): FetchError {
    return new FetchError('too_large', `download exceeded ${formatBytes(limitBytes)} limit`, false);
  }

  /** A URL whose host the client wrote is not allowed (an IP literal, `localhost`): it may say why. */
  static blocked(what: string, range: string): FetchError {
    return new FetchError('blocked_address', `${what} is not allowed (${range})`, false);
  }

  /**
   * A host name that resolves to a non-public address: the client learns that, not the address or its
   * range (which would map internal names for whoever uploads them); the log gets both.
   */
  static resolvesToBlocked(hostname: string, address: string, range: string): FetchError {
    return new FetchError(
      'blocked_address',
      `host ${hostname} does not resolve to a public address`,
      false,
      undefined,
      `${hostname} resolved to ${address} (${range})`,
    );
  }

  /** The body is not in its declared Content-Encoding: the same server will send the same bytes again. */
  static corruptEncoding(code: string): FetchError {
    return new FetchError(
      'decode_error',
      `the response body is not in its declared Content-Encoding (${code})`,
      false,
    );
  }

  static tooManyRedirects(max: number): FetchError {
    return new FetchError('too_many_redirects', `more than ${max} redirects`, false);
  }

  static invalidUrl(reason: string): FetchError {
    return new FetchError('invalid_url', reason, false);
  }
}

/**
 * `Retry-After` as milliseconds from now (delay-seconds or an HTTP-date), when it is at most `maxMs`
 * (MAX_RETRY_AFTER_MS); undefined when absent, unparsable or longer: the caller then uses its own
 * backoff, so a server cannot park a request for years (or forever, with a 400-digit value).
 */
export function parseRetryAfter(
  value: string | string[] | null | undefined,
  maxMs: number,
  now = Date.now(),
): number | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d{1,12}$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else if (/^[A-Za-z]{3}/.test(trimmed)) {
    // Every HTTP-date form starts with a day name; Date.parse alone would take "-5" for a year.
    ms = Math.max(0, Date.parse(trimmed) - now);
  } else return undefined;
  return Number.isFinite(ms) && ms <= maxMs ? ms : undefined;
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
