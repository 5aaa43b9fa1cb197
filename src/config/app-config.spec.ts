import { ConfigValidationError, DEFAULT_WEBHOOK_RETRY_DELAYS_MS, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({ DATA_DIR: '/srv/pixelmill' });
    expect(config).toMatchObject({
      port: 3000,
      dataDir: '/srv/pixelmill',
      databaseUrl: 'sqlite:///srv/pixelmill/pixelmill.sqlite',
      storageDir: '/srv/pixelmill/images',
      publicUrl: 'http://localhost:3000',
      jpegQuality: 50,
      downloadTimeoutMs: 20_000,
      allowPrivateUrls: false,
      maxImageBytes: 25 * 1024 * 1024,
      maxImagePixels: 100_000_000,
      maxRedirects: 5,
      downloadRetries: 3,
      downloadRetryBaseMs: 1000,
      maxRetryAfterMs: 600_000,
      maxCsvBytes: 50 * 1024 * 1024,
      maxRows: 1_000_000,
      maxUrlsPerRow: 50,
      webhookTimeoutMs: 15_000,
      webhookRetryDelaysMs: DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
      shutdownGraceMs: 25_000,
      logFormat: 'text',
      logLevel: 'info',
    });
    expect(config.concurrency).toBeGreaterThanOrEqual(4);
    expect(config.isPostgres).toBe(false);
  });

  it('reads every value given, PUBLIC_URL without its trailing slash', () => {
    const config = loadConfig({
      PORT: '8080',
      PUBLIC_URL: 'https://img.example.com/',
      ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_DELAYS_MS: '0, 200,1000',
      DATABASE_URL: 'postgres://u@db:5432/pm',
      CONCURRENCY: '12',
    });
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'https://img.example.com',
      allowPrivateUrls: true,
      webhookRetryDelaysMs: [0, 200, 1000],
      concurrency: 12,
    });
    expect(config.isPostgres).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['JPEG_QUALITY', '500'],
    ['CONCURRENCY', '0'],
    ['ALLOW_PRIVATE_URLS', 'maybe'],
    ['WEBHOOK_SECRET', 'not-a-secret'],
    ['WEBHOOK_SECRET', 'whsec_A'], // not base64 (crashed the start before)
    ['WEBHOOK_SECRET', 'whsec_AQ=='], // a 1-byte key
    ['WEBHOOK_SECRET', `whsec_${Buffer.alloc(23).toString('base64')}`],
    ['WEBHOOK_SECRET', `whsec_${Buffer.alloc(65).toString('base64')}`],
    ['MAX_RETRY_AFTER_MS', '-1'],
    ['WEBHOOK_RETRY_DELAYS_MS', '0,soon'],
    ['DATABASE_URL', 'mysql://db'],
    ['PUBLIC_URL', 'ftp://files'],
    ['MAX_IMAGE_BYTES', '-1'],
    ['LOG_FORMAT', 'xml'],
    ['LOG_LEVEL', 'verbose'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigValidationError);
    const shown = name === 'WEBHOOK_SECRET' ? ' (value hidden)' : `="${value}"`;
    expect(() => loadConfig({ [name]: value })).toThrow(`  ${name}${shown}: `);
  });

  it('logs JSON lines in production or when LOG_FORMAT=json, readable lines otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'text' }).logFormat).toBe('text');
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('takes a Standard Webhooks secret of 24 to 64 bytes, and never prints a refused one', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(loadConfig({ WEBHOOK_SECRET: secret }).webhookSecret).toBe(secret);
    const refused = `whsec_${Buffer.alloc(16, 7).toString('base64')}`;
    expect(() => loadConfig({ WEBHOOK_SECRET: refused })).toThrow(/WEBHOOK_SECRET \(value hidden\)/);
    expect(() => loadConfig({ WEBHOOK_SECRET: refused })).not.toThrow(refused.slice(6));
  });
});
