import { FetchError, formatBytes, parseRetryAfter } from './fetch-error.js';

describe('FetchError', () => {
  it.each([
    [404, false],
    [400, false],
    [403, false],
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
  ])('HTTP %i -> http_%i, retryable %s', (status, retryable) => {
    const error = FetchError.http(status);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      code: `http_${status}`,
      retryable,
      retryAfterMs: undefined,
    });
  });

  it('has short human messages', () => {
    expect(FetchError.http(404).message).toBe('HTTP 404 Not Found');
    expect(FetchError.http(500, 'Oops').message).toBe('HTTP 500 Oops');
    expect(FetchError.tooLarge(25 * 1024 * 1024).message).toBe('download exceeded 25 MiB limit');
    expect(FetchError.tooLarge(1000).message).toBe('download exceeded 1000 bytes limit');
    expect(FetchError.blocked('address 127.0.0.1', 'loopback').message).toBe(
      'address 127.0.0.1 is not allowed (loopback)',
    );
  });

  it('carries Retry-After', () => {
    expect(FetchError.http(429, undefined, 2000)).toMatchObject({
      retryable: true,
      retryAfterMs: 2000,
    });
  });

  it.each([
    [FetchError.timeout(1000), 'timeout', true],
    [FetchError.tooLarge(1), 'too_large', false],
    [FetchError.blocked('x', 'y'), 'blocked_address', false],
    [FetchError.tooManyRedirects(5), 'too_many_redirects', false],
    [FetchError.invalidUrl('bad'), 'invalid_url', false],
  ])('%s', (error, code, retryable) => {
    expect(error).toMatchObject({ code, retryable });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['2', 2000],
    [' 120 ', 120_000],
    ['0', 0],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0], // in the past: retry now
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    [undefined, undefined],
    [null, undefined],
    ['600', 600_000], // the cap itself
    ['601', undefined], // longer than the cap: the caller's own backoff applies
    ['99999999999', undefined],
    ['9'.repeat(400), undefined], // Infinity once multiplied
    ['Fri, 31 Dec 9999 23:59:59 GMT', undefined],
    ['Wed, 01 Jan 2025 00:10:01 GMT', undefined],
  ])('%j -> %j (cap 10 min)', (value, expected) => {
    expect(parseRetryAfter(value, 600_000, now)).toBe(expected);
  });
});

describe('formatBytes', () => {
  it.each([
    [1000, '1000 bytes'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [25 * 1024 * 1024, '25 MiB'],
    [2 * 1024 ** 3, '2 GiB'],
  ])('%i -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
