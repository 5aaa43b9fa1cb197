import { loadConfig } from '../config/app-config.js';
import { SecretScrubber } from './secret-scrubber.js';

const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

describe('SecretScrubber', () => {
  const API_KEY = 'alice-0123456789abcdefghijklmnop';
  const scrubber = new SecretScrubber(loadConfig({ WEBHOOK_SECRET: SECRET, API_KEYS: `alice:${API_KEY}` }));

  it.each([
    [`secret is ${SECRET}.`, 'secret is [redacted].'],
    [`key ${SECRET.slice(6)}`, 'key [redacted]'],
    [
      'image (https://bob:hunter2@cdn.example.com/a.jpg) failed',
      'image (https://[redacted]@cdn.example.com/a.jpg) failed',
    ],
    [
      'http://token@example.com/x and ftp://u:p@h/y',
      'http://[redacted]@example.com/x and ftp://[redacted]@h/y',
    ],
    ['mail me at someone@example.com', 'mail me at someone@example.com'],
    ['https://cdn.example.com/a.jpg?x=1@2', 'https://cdn.example.com/a.jpg?x=1@2'],
    ['nothing to hide', 'nothing to hide'],
    [`GET /requests?limit=5&api_key=abc123 failed`, 'GET /requests?limit=5&api_key=[redacted] failed'],
    [`an API key ${API_KEY} quoted`, 'an API key [redacted] quoted'],
  ])('%j becomes %j', (text, clean) => {
    expect(scrubber.scrub(text)).toBe(clean);
  });

  it('has nothing to scrub without a webhook secret but URL credentials', () => {
    const open = new SecretScrubber(loadConfig({}));
    expect(open.scrub('https://a:b@h/x')).toBe('https://[redacted]@h/x');
  });
});
