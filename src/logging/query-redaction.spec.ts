import { redactQueryObject, redactQueryParameters } from './query-redaction.js';

describe('redactQueryParameters', () => {
  it.each([
    ['/requests?api_key=s3cr3t', '/requests?api_key=[redacted]'],
    ['/requests?limit=5&API_KEY=s3cr3t&cursor=abc', '/requests?limit=5&API_KEY=[redacted]&cursor=abc'],
    ['/status/x?apikey=a&key=b&token=c', '/status/x?apikey=[redacted]&key=[redacted]&token=[redacted]'],
    ['?access_token=a;secret=b', '?access_token=[redacted];secret=[redacted]'],
    ['?signature=a&sig=b&password=c', '?signature=[redacted]&sig=[redacted]&password=[redacted]'],
    [
      'https://bucket.s3.example.com/a.jpg?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc123&X-Amz-Security-Token=t',
      'https://bucket.s3.example.com/a.jpg?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Security-Token=[redacted]',
    ],
    ['?client_secret=a&refresh_token=b', '?client_secret=[redacted]&refresh_token=[redacted]'],
    ['?api%5Fkey=a', '?api%5Fkey=[redacted]'], // an escaped name is judged decoded
    [
      'failed: GET /x?token=abc (HTTP 500) and /y?token=def',
      'failed: GET /x?token=[redacted] (HTTP 500) and /y?token=[redacted]',
    ],
    ['/requests?limit=5&cursor=abc&monkey=1&keyboard=2', '/requests?limit=5&cursor=abc&monkey=1&keyboard=2'],
    ['a = b, no query here', 'a = b, no query here'],
  ])('%s -> %s', (text, clean) => expect(redactQueryParameters(text)).toBe(clean));
});

describe('redactQueryObject', () => {
  it('replaces the values of credential-like names only', () => {
    expect(redactQueryObject({ limit: '5', Api_Key: 's3cr3t', token: ['a', 'b'] })).toEqual({
      limit: '5',
      Api_Key: '[redacted]',
      token: '[redacted]',
    });
    expect(redactQueryObject(undefined)).toBeUndefined();
  });
});
