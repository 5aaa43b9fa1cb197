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
      maxCsvBytes: 50 * 1024 * 1024,
      maxRows: 1_000_000,
      maxUrlsPerRow: 50,
      maxColumns: 200,
      maxCellBytes: 65_536,
      maxRecordBytes: 1_048_576,
      maxConcurrentUploads: 4,
      uploadTimeoutMs: 120_000,
      webhookTimeoutMs: 15_000,
      webhookRetryDelaysMs: DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
      shutdownGraceMs: 25_000,
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
    ['WEBHOOK_RETRY_DELAYS_MS', '0,soon'],
    ['DATABASE_URL', 'mysql://db'],
    ['PUBLIC_URL', 'ftp://files'],
    ['MAX_IMAGE_BYTES', '-1'],
    ['MAX_COLUMNS', '2'],
    ['MAX_CELL_BYTES', '0'],
    ['MAX_RECORD_BYTES', '1MiB'],
    ['MAX_CONCURRENT_UPLOADS', '0'],
    ['UPLOAD_TIMEOUT_MS', '10'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigValidationError);
    expect(() => loadConfig({ [name]: value })).toThrow(
      new RegExp(`${name}="${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`),
    );
  });
});
