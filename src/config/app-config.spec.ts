import { availableParallelism } from 'node:os';
import { ConfigValidationError, loadConfig } from './app-config.js';
import { defaultImageMemoryBytes } from './image-memory.js';
import { sizeThreadPool } from './thread-pool.cjs';
import { DEFAULT_WEBHOOK_RETRY_DELAYS_MS } from './webhooks-config.js';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({ DATA_DIR: '/srv/pixelmill' });
    expect(config).toMatchObject({
      server: {
        role: 'all',
        port: 3000,
        dataDir: '/srv/pixelmill',
        publicUrl: 'http://localhost:3000',
        shutdownGraceMs: 25_000,
      },
      database: { url: 'sqlite:///srv/pixelmill/pixelmill.sqlite' },
      storage: {
        driver: 'local',
        dir: '/srv/pixelmill/images',
        publicUrl: undefined,
        retryBaseMs: 1000,
        retryMaxMs: 60_000,
        readinessCacheMs: 2_000,
        s3: undefined,
      },
      output: {
        defaults: { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null },
        autoQualityTarget: 0.9868,
      },
      workers: { maxLeaseExpiries: 3, queuePollMs: 1_000 },
      downloads: {
        timeoutMs: 20_000,
        allowPrivateUrls: false,
        maxRedirects: 5,
        retries: 3,
        retryBaseMs: 1000,
        maxRetryAfterMs: 600_000,
      },
      limits: {
        maxImageBytes: 25 * 1024 * 1024,
        maxImagePixels: 100_000_000,
        maxCsvBytes: 50 * 1024 * 1024,
        maxRows: 1_000_000,
        maxUrlsPerRow: 50,
        maxColumns: 200,
        maxCellBytes: 65_536,
        maxRecordBytes: 1_048_576,
        maxConcurrentUploads: 4,
        uploadTimeoutMs: 120_000,
      },
      webhooks: {
        timeoutMs: 15_000,
        retryDelaysMs: DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
        concurrency: 64,
        concurrencyPerReceiver: 4,
        concurrencyPerKey: 16,
      },
      progress: { maxStreams: 100, maxStreamsPerKey: 10 },
      retention: { days: 30, intervalMs: 3_600_000 },
      logging: { format: 'text', level: 'info' },
    });
    expect(config.workers.concurrency).toBeGreaterThanOrEqual(4);
    expect(config.database.isPostgres).toBe(false);
  });

  it('reads every value given, PUBLIC_URL without its trailing slash', () => {
    const config = loadConfig({
      PORT: '8080',
      PUBLIC_URL: 'https://img.example.com/',
      ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_DELAYS_MS: '0, 200,1000',
      DATABASE_URL: 'postgres://u@db:5432/pm',
      CONCURRENCY: '12',
      PREVIEW_CONCURRENCY: '3',
    });
    expect(config).toMatchObject({
      server: { port: 8080, publicUrl: 'https://img.example.com' },
      downloads: { allowPrivateUrls: true },
      webhooks: { retryDelaysMs: [0, 200, 1000] },
      workers: { concurrency: 12, previewConcurrency: 3 },
    });
    expect(config.database.isPostgres).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['JPEG_QUALITY', '500'],
    ['CONCURRENCY', '0'],
    ['PREVIEW_CONCURRENCY', '0'],
    ['PREVIEW_CONCURRENCY', 'two'],
    ['ALLOW_PRIVATE_URLS', 'maybe'],
    ['WEBHOOK_SECRET', 'not-a-secret'],
    ['WEBHOOK_SECRET', 'whsec_A'], // not base64 (crashed the start before)
    ['WEBHOOK_SECRET', 'whsec_AQ=='], // a 1-byte key
    ['WEBHOOK_SECRET', `whsec_${Buffer.alloc(23).toString('base64')}`],
    ['WEBHOOK_SECRET', `whsec_${Buffer.alloc(65).toString('base64')}`],
    ['MAX_RETRY_AFTER_MS', '-1'],
    ['QUEUE_POLL_MS', '10'],
    ['MAX_LEASE_EXPIRIES', '-1'],
    ['READINESS_STORAGE_CACHE_MS', '120000'],
    ['MAX_LEASE_EXPIRIES', '1.5'],
    ['UPLOAD_TIMEOUT_MS', '3000000000'], // past a Node timer's range: it would fire at once
    ['API_KEYS', 'short'],
    ['API_KEYS', 'alice:0123456789abcdefghijklmn,alice:nmlkjihgfedcba9876543210'],
    ['API_KEYS', 'bad name:0123456789abcdefghijklmn'],
    ['API_KEY_WEIGHTS', 'alice'],
    ['API_KEY_WEIGHTS', 'alice=0'],
    ['API_KEY_WEIGHTS', 'alice=1001'],
    ['API_KEY_WEIGHTS', 'alice=1.5'],
    ['API_KEY_WEIGHTS', 'alice=2,alice=3'],
    ['MAX_OWNER_COST_IN_FLIGHT', '15'],
    ['RATE_LIMIT_UPLOADS_PER_MIN', '-1'],
    ['MAX_QUEUED_IMAGES_PER_KEY', 'many'],
    ['ROLE', 'scheduler'],
    ['WEBHOOK_RETRY_DELAYS_MS', '0,soon'],
    ['DATABASE_URL', 'mysql://db'],
    ['PUBLIC_URL', 'ftp://files'],
    ['MAX_IMAGE_BYTES', '-1'],
    ['STORAGE_DRIVER', 'gcs'],
    ['STORAGE_PUBLIC_URL', 'cdn.example.com'],
    ['STORAGE_RETRY_BASE_MS', '0'],
    ['S3_FORCE_PATH_STYLE', 'yes'],
    ['S3_ENDPOINT', 'minio:9000'],
    ['S3_REGION', 'EU West'],
    ['S3_PREFIX', '../outside'],
    ['S3_PREFIX', '/absolute'],
    ['S3_PREFIX', 'a//b'],
    ['S3_BUCKET', 'my bucket'],
    ['S3_TIMEOUT_MS', '5'],
    ['LOG_FORMAT', 'xml'],
    ['LOG_LEVEL', 'verbose'],
    ['MAX_COLUMNS', '2'],
    ['MAX_CELL_BYTES', '0'],
    ['MAX_RECORD_BYTES', '1MiB'],
    ['MAX_CONCURRENT_UPLOADS', '0'],
    ['UPLOAD_TIMEOUT_MS', '10'],
    ['RETENTION_DAYS', '-1'],
    ['RETENTION_DAYS', '1.5'],
    ['RETENTION_DAYS', 'forever'],
    ['RETENTION_INTERVAL_MS', '10'],
    ['OUTPUT_FORMAT', 'png'],
    ['OUTPUT_QUALITY', '0'],
    ['OUTPUT_QUALITY', '101'],
    ['OUTPUT_QUALITY', 'best'],
    ['OUTPUT_MAX_WIDTH', '0'],
    ['OUTPUT_MAX_HEIGHT', '20000'],
    ['AUTO_QUALITY_TARGET', '1'],
    ['AUTO_QUALITY_TARGET', 'high'],
    ['WEBHOOK_CONCURRENCY', '0'],
    ['WEBHOOK_CONCURRENCY_PER_RECEIVER', '0'],
    ['WEBHOOK_CONCURRENCY_PER_KEY', 'all'],
    ['WEBHOOK_CONCURRENCY_PER_KEY', '65'], // over WEBHOOK_CONCURRENCY's default
    ['SSE_MAX_STREAMS_PER_KEY', '0'],
    ['SSE_MAX_STREAMS_PER_KEY', '101'], // over SSE_MAX_STREAMS' default
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigValidationError);
    const shown = ['WEBHOOK_SECRET', 'API_KEYS', 'DATABASE_URL'].includes(name)
      ? ' (value hidden)'
      : `="${value}"`;
    expect(() => loadConfig({ [name]: value })).toThrow(`  ${name}${shown}: `);
  });

  it('names every bad variable in one message, whatever its concern', () => {
    expect(() => loadConfig({ PORT: 'abc', MAX_ROWS: 'many', LOG_LEVEL: 'verbose' })).toThrow(
      /PORT="abc": PORT must be an integer number[^]*MAX_ROWS="many"[^]*LOG_LEVEL="verbose"/,
    );
    expect(() =>
      loadConfig({ SSE_MAX_STREAMS: '4', SSE_MAX_STREAMS_PER_KEY: '5', WEBHOOK_CONCURRENCY_PER_KEY: '65' }),
    ).toThrow(/WEBHOOK_CONCURRENCY_PER_KEY="65"[^]*SSE_MAX_STREAMS_PER_KEY="5"/);
  });

  it('reads the output defaults; JPEG_QUALITY still counts when OUTPUT_QUALITY is unset', () => {
    expect(
      loadConfig({
        OUTPUT_FORMAT: 'webp',
        OUTPUT_QUALITY: 'auto',
        OUTPUT_MAX_WIDTH: '1200',
        OUTPUT_MAX_HEIGHT: '900',
        AUTO_QUALITY_TARGET: '0.99',
      }),
    ).toMatchObject({
      output: {
        defaults: { format: 'webp', quality: 'auto', maxWidth: 1200, maxHeight: 900 },
        autoQualityTarget: 0.99,
      },
    });
    expect(loadConfig({ JPEG_QUALITY: '80' }).output.defaults.quality).toBe(80);
    expect(loadConfig({ JPEG_QUALITY: '80', OUTPUT_QUALITY: '70' }).output.defaults.quality).toBe(70);
  });

  it('keeps the per-key and per-receiver limits within the process-wide ones', () => {
    expect(loadConfig({ SSE_MAX_STREAMS: '4', WEBHOOK_CONCURRENCY: '2' })).toMatchObject({
      progress: { maxStreamsPerKey: 4 },
      webhooks: { concurrencyPerReceiver: 2, concurrencyPerKey: 2 },
    });
    expect(() => loadConfig({ SSE_MAX_STREAMS: '4', SSE_MAX_STREAMS_PER_KEY: '5' })).toThrow(
      '  SSE_MAX_STREAMS_PER_KEY="5": must be at most SSE_MAX_STREAMS (4)',
    );
    expect(() => loadConfig({ WEBHOOK_CONCURRENCY: '8', WEBHOOK_CONCURRENCY_PER_RECEIVER: '9' })).toThrow(
      '  WEBHOOK_CONCURRENCY_PER_RECEIVER="9": must be at most WEBHOOK_CONCURRENCY (8)',
    );
    expect(
      loadConfig({
        WEBHOOK_CONCURRENCY: '8',
        WEBHOOK_CONCURRENCY_PER_RECEIVER: '8',
        WEBHOOK_CONCURRENCY_PER_KEY: '3',
        SSE_MAX_STREAMS_PER_KEY: '100',
      }),
    ).toMatchObject({
      webhooks: { concurrency: 8, concurrencyPerReceiver: 8, concurrencyPerKey: 3 },
      progress: { maxStreamsPerKey: 100 },
    });
  });

  describe('image threads, memory and time', () => {
    const MiB = 1024 * 1024;

    it('gives two image threads per core, costly images a core fewer, a pool with 4 threads for I/O beyond them, the previews and the header reads, 2 minutes an image', () => {
      const config = loadConfig({ DATA_DIR: '/srv/pixelmill' });
      const cores = availableParallelism();
      expect(config.workers).toMatchObject({
        imageThreads: 2 * cores,
        costlyImageThreads: Math.max(1, cores - 1),
        threadPoolSize: 2 * cores + 2 + 1 + 4,
        imageTimeoutMs: 120_000,
      });
      expect(config.workers.imageMemoryBytes).toBe(defaultImageMemoryBytes(2 * cores));
    });

    it('keeps a core for cheap images when IMAGE_THREADS is set, and at least one thread for costly ones', () => {
      expect(loadConfig({ IMAGE_THREADS: '1' }).workers.costlyImageThreads).toBe(1);
      const cores = availableParallelism();
      expect(loadConfig({ IMAGE_THREADS: '64' }).workers.costlyImageThreads).toBe(Math.max(1, cores - 1));
    });

    it('budgets 128 MiB per image thread (256 a core by default), never more than a quarter of the memory limit', () => {
      expect(defaultImageMemoryBytes(4, 24 * 1024 * MiB)).toBe(512 * MiB);
      expect(defaultImageMemoryBytes(16, 1024 * MiB)).toBe(256 * MiB);
    });

    it('reads IMAGE_THREADS, UV_THREADPOOL_SIZE, IMAGE_MEMORY_MB and IMAGE_TIMEOUT_MS', () => {
      const env = {
        IMAGE_THREADS: '3',
        COSTLY_IMAGE_THREADS: '3',
        UV_THREADPOOL_SIZE: '9',
        IMAGE_MEMORY_MB: '2048',
        IMAGE_TIMEOUT_MS: '5000',
      };
      expect(loadConfig(env).workers).toMatchObject({
        imageThreads: 3,
        costlyImageThreads: 3,
        threadPoolSize: 9,
        imageMemoryBytes: 2048 * MiB,
        imageTimeoutMs: 5000,
      });
    });

    it.each([
      [
        { UV_THREADPOOL_SIZE: '6', IMAGE_THREADS: '2' },
        'UV_THREADPOOL_SIZE="6": must leave at least 2 threads for I/O',
      ],
      [{ UV_THREADPOOL_SIZE: '2000' }, 'UV_THREADPOOL_SIZE'],
      [{ IMAGE_THREADS: '0' }, 'IMAGE_THREADS'],
      [
        { IMAGE_THREADS: '2', COSTLY_IMAGE_THREADS: '3' },
        'COSTLY_IMAGE_THREADS="3": must be at most IMAGE_THREADS (2)',
      ],
      [{ COSTLY_IMAGE_THREADS: '0' }, 'COSTLY_IMAGE_THREADS'],
      [{ IMAGE_MEMORY_MB: '8' }, 'IMAGE_MEMORY_MB'],
      [{ IMAGE_TIMEOUT_MS: '10' }, 'IMAGE_TIMEOUT_MS'],
    ])('refuses %o, naming it', (env, message) => {
      expect(() => loadConfig(env)).toThrow(ConfigValidationError);
      expect(() => loadConfig(env)).toThrow(message);
    });

    it('the entry point sizes the pool the configuration expects, and leaves an operator\u2019s size alone', () => {
      const env: Record<string, string | undefined> = { IMAGE_THREADS: '3', PREVIEW_CONCURRENCY: '1' };
      sizeThreadPool(env);
      expect(env.UV_THREADPOOL_SIZE).toBe('9');
      expect(loadConfig(env).workers.threadPoolSize).toBe(9);
      const operator: Record<string, string | undefined> = { UV_THREADPOOL_SIZE: '64' };
      sizeThreadPool(operator);
      expect(operator.UV_THREADPOOL_SIZE).toBe('64');
    });
  });

  it('keeps requests forever with RETENTION_DAYS=0, and reads the retention interval', () => {
    expect(loadConfig({ RETENTION_DAYS: '0', RETENTION_INTERVAL_MS: '60000' }).retention).toMatchObject({
      days: 0,
      intervalMs: 60_000,
    });
    expect(loadConfig({ RETENTION_DAYS: '7' }).retention.days).toBe(7);
  });

  it.each(['api', 'worker'])(
    'refuses ROLE=%s on the embedded SQLite file, and takes it with PostgreSQL',
    (role) => {
      expect(() => loadConfig({ ROLE: role })).toThrow(`ROLE="${role}": needs DATABASE_URL=postgres://`);
      expect(loadConfig({ ROLE: role, DATABASE_URL: 'postgres://u@db:5432/pm' }).server.role).toBe(role);
    },
  );
  it('logs JSON lines in production or when LOG_FORMAT=json, readable lines otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).logging.format).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logging.format).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'text' }).logging.format).toBe('text');
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logging.level).toBe('debug');
  });

  it('reads API_KEYS as named keys; a key without a name is named by a digest, never by itself', () => {
    const config = loadConfig({ API_KEYS: 'alice:0123456789abcdefghijklmn, 9876543210zyxwvutsrqponm' });
    expect(config.access.keys[0]).toEqual({ name: 'alice', key: '0123456789abcdefghijklmn', weight: 1 });
    expect(config.access.keys[1].name).toMatch(/^key-[0-9a-f]{8}$/);
    expect(loadConfig({}).access.keys).toEqual([]);
  });

  it('weighs API keys by API_KEY_WEIGHTS (1 when unnamed), and refuses a weight for a name API_KEYS lacks', () => {
    const keys = 'alice:0123456789abcdefghijklmn,bob:9876543210zyxwvutsrqponm';
    expect(
      loadConfig({ API_KEYS: keys, API_KEY_WEIGHTS: 'bob=3' }).access.keys.map(({ name, weight }) => [
        name,
        weight,
      ]),
    ).toEqual([
      ['alice', 1],
      ['bob', 3],
    ]);
    expect(() => loadConfig({ API_KEYS: keys, API_KEY_WEIGHTS: 'bob=3,carol=2' })).toThrow(
      'API_KEY_WEIGHTS="bob=3,carol=2": names no key of API_KEYS: carol',
    );
    expect(() => loadConfig({ API_KEY_WEIGHTS: 'bob=3' })).toThrow(/API_KEY_WEIGHTS.*: bob/);
  });

  it('lets an owner hold 4 × CONCURRENCY of cost per process by default, never less than one AVIF image', () => {
    expect(loadConfig({ CONCURRENCY: '8' }).workers.maxOwnerCostInFlight).toBe(32);
    expect(loadConfig({ CONCURRENCY: '2' }).workers.maxOwnerCostInFlight).toBe(16);
    expect(loadConfig({ MAX_OWNER_COST_IN_FLIGHT: '100' }).workers.maxOwnerCostInFlight).toBe(100);
  });

  it('takes a Standard Webhooks secret of 24 to 64 bytes, and never prints a refused one', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(loadConfig({ WEBHOOK_SECRET: secret }).webhooks.secret).toBe(secret);
    const refused = `whsec_${Buffer.alloc(16, 7).toString('base64')}`;
    expect(() => loadConfig({ WEBHOOK_SECRET: refused })).toThrow(/WEBHOOK_SECRET \(value hidden\)/);
    expect(() => loadConfig({ WEBHOOK_SECRET: refused })).not.toThrow(refused.slice(6));
  });

  describe('object storage', () => {
    const s3 = { STORAGE_DRIVER: 's3', S3_BUCKET: 'pixelmill-images' };

    it('gives the S3 defaults, with no credentials of its own', () => {
      const config = loadConfig({ ...s3, AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'secret' });
      expect(config.storage.driver).toBe('s3');
      expect(config.storage.s3).toEqual({
        bucket: 'pixelmill-images',
        region: 'us-east-1',
        endpoint: undefined,
        forcePathStyle: false,
        prefix: '',
        timeoutMs: 30_000,
      });
      expect(JSON.stringify(config)).not.toMatch(/AKIA|secret/);
    });

    it('reads every S3 value, the prefix ending with one slash and the public URL without one', () => {
      const config = loadConfig({
        ...s3,
        S3_REGION: 'eu-west-3',
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_FORCE_PATH_STYLE: 'true',
        S3_PREFIX: 'catalog/outputs',
        S3_TIMEOUT_MS: '5000',
        STORAGE_PUBLIC_URL: 'https://cdn.example.com/outputs/',
        STORAGE_RETRY_BASE_MS: '200',
        STORAGE_RETRY_MAX_MS: '5000',
      });
      expect(config.storage).toMatchObject({
        publicUrl: 'https://cdn.example.com/outputs',
        retryBaseMs: 200,
        retryMaxMs: 5000,
        s3: {
          bucket: 'pixelmill-images',
          region: 'eu-west-3',
          endpoint: 'http://127.0.0.1:9000',
          forcePathStyle: true,
          prefix: 'catalog/outputs/',
          timeoutMs: 5000,
        },
      });
      expect(loadConfig({ ...s3, S3_PREFIX: 'outputs/' }).storage.s3?.prefix).toBe('outputs/');
    });

    it.each([{}, { S3_BUCKET: '' }])('refuses STORAGE_DRIVER=s3 without S3_BUCKET (%o), naming it', (env) => {
      expect(() => loadConfig({ STORAGE_DRIVER: 's3', ...env })).toThrow(ConfigValidationError);
      expect(() => loadConfig({ STORAGE_DRIVER: 's3', ...env })).toThrow(
        /S3_BUCKET.*required when STORAGE_DRIVER=s3/,
      );
    });

    it('keeps S3 settings out of the local driver', () => {
      expect(loadConfig({ S3_BUCKET: 'unused' }).storage.s3).toBeUndefined();
    });
  });
});
