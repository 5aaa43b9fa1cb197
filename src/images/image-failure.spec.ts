import { FetchError } from '../http/fetch-error.js';
import { ImageError } from './image-error.js';
import { classifyFailure, downloadRetryDelay } from './image-failure.js';

describe('classifyFailure', () => {
  it('keeps a download failure\u2019s code, message and whether it is worth retrying', () => {
    expect(classifyFailure(FetchError.http(503, undefined, 7000))).toEqual({
      code: 'http_503',
      message: 'HTTP 503 Service Unavailable',
      retryable: true,
      retryAfterMs: 7000,
    });
    expect(classifyFailure(FetchError.http(404))).toMatchObject({ code: 'http_404', retryable: false });
    expect(classifyFailure(FetchError.blocked('address 127.0.0.1', 'loopback'))).toMatchObject({
      code: 'blocked_address',
      retryable: false,
    });
    expect(classifyFailure(FetchError.tooLarge(1024))).toMatchObject({ code: 'too_large', retryable: false });
    expect(classifyFailure(FetchError.timeout(800))).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('never retries what the image itself got wrong, and calls anything else internal_error', () => {
    expect(classifyFailure(new ImageError('decode_error', 'truncated'))).toEqual({
      code: 'decode_error',
      message: 'truncated',
      retryable: false,
    });
    expect(classifyFailure(new TypeError('boom'))).toEqual({
      code: 'internal_error',
      message: 'boom',
      retryable: false,
    });
  });
});

describe('downloadRetryDelay', () => {
  it.each([
    [1, 500, 1000],
    [2, 1000, 2000],
    [3, 2000, 4000],
  ])('after attempt %i: between %i and %i ms', (attempt, low, high) => {
    expect(downloadRetryDelay(attempt, () => 0)).toBe(low);
    expect(downloadRetryDelay(attempt, () => 1)).toBe(high);
  });

  it('scales with the base delay', () => {
    expect(downloadRetryDelay(3, () => 1, 10)).toBe(40);
  });
});
