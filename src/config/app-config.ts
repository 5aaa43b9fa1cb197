import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { resolve, join } from 'node:path';
import { parseApiKeyWeights } from './api-key-weights.js';
import { MAX_IMAGE_COST } from './image-cost.js';
import { defaultImageMemoryBytes } from './image-memory.js';
import { MAX_OUTPUT_SIDE, OUTPUT_FORMATS, type OutputFormat, type OutputOptions } from './output-options.js';
import {
  DEFAULT_PREVIEW_CONCURRENCY,
  defaultImageThreads,
  MAX_THREAD_POOL_SIZE,
  MIN_IO_THREADS,
  threadPoolSizeFor,
} from './thread-pool.cjs';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : value === 'true' || value === '1'
      ? true
      : value === 'false' || value === '0'
        ? false
        : value;
const toIntList = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : (value as string).split(',').map((part) => Number(part.trim()));

/**
 * What a process runs: `all` (the embedded default: API and workers in one process), `api` (HTTP API
 * and enqueueing only) or `worker` (image processing and webhook delivery).
 */
const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** One accepted API key: its name (for logs, metrics and ownership), the key itself, and its share of the workers. */
export interface ApiKey {
  name: string;
  key: string;
  /** API_KEY_WEIGHTS: its share of the workers against other keys' while they wait (1 unless set). */
  weight: number;
}

/**
 * `API_KEYS`: `key` or `name:key` entries, comma-separated; undefined when malformed. A key without a
 * name is named by a digest of it, so logs never carry the key.
 */
function parseApiKeys(value: string): Array<Omit<ApiKey, 'weight'>> | undefined {
  const keys: Array<Omit<ApiKey, 'weight'>> = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    const match = /^(?:([A-Za-z0-9._-]{1,64}):)?([A-Za-z0-9._~+/=-]{24,256})$/.exec(entry);
    if (!match) return undefined;
    const key = match[2];
    keys.push({ name: match[1] ?? `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, key });
  }
  const unique = (values: string[]) => new Set(values).size === values.length;
  return unique(keys.map((k) => k.name)) && unique(keys.map((k) => k.key)) ? keys : undefined;
}

/** The longest delay a Node timer takes (2³¹−1 ms, ~24.8 days): a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** `whsec_<base64>` whose key is 24 to 64 bytes, as the Standard Webhooks specification recommends. */
function isWebhookSecret(value: string): boolean {
  const base64 = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/.exec(value)?.[1];
  if (!base64) return false;
  const bytes = Buffer.from(base64, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The environment as it is read: every variable optional, every value checked. */
class Environment {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsIn(ROLES, { message: `ROLE must be one of ${ROLES.join(', ')}` })
  ROLE?: Role;

  @IsOptional()
  @IsString()
  DATA_DIR?: string;

  @IsOptional()
  @Matches(/^(postgres(ql)?|sqlite):\/\/.+/, {
    message: 'DATABASE_URL must be a postgres://… or sqlite://<file> URL',
  })
  DATABASE_URL?: string;

  @IsOptional()
  @IsString()
  STORAGE_DIR?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_URL?: string;

  @IsOptional()
  @IsIn(['local', 's3'], { message: 'STORAGE_DRIVER must be local or s3' })
  STORAGE_DRIVER?: 'local' | 's3';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  STORAGE_PUBLIC_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_TIMER_MS)
  STORAGE_RETRY_BASE_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_TIMER_MS)
  STORAGE_RETRY_MAX_MS?: number;

  @ValidateIf((env: Environment) => env.STORAGE_DRIVER === 's3' || env.S3_BUCKET !== undefined)
  @IsNotEmpty({ message: 'S3_BUCKET is required when STORAGE_DRIVER=s3' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, { message: 'S3_BUCKET must be a bucket name' })
  S3_BUCKET?: string;

  @IsOptional()
  @Matches(/^[a-z0-9-]+$/, { message: 'S3_REGION must be a region name such as eu-west-1' })
  S3_REGION?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  S3_ENDPOINT?: string;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  S3_FORCE_PATH_STYLE?: boolean;

  @IsOptional()
  @Matches(/^(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/, {
    message: 'S3_PREFIX must be path segments of letters, digits, ".", "_" or "-" (no "." or ".." segment)',
  })
  S3_PREFIX?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  S3_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  JPEG_QUALITY?: number;

  @IsOptional()
  @IsIn(OUTPUT_FORMATS, { message: `OUTPUT_FORMAT must be one of ${OUTPUT_FORMATS.join(', ')}` })
  OUTPUT_FORMAT?: OutputFormat;

  @IsOptional()
  @Matches(/^(auto|[1-9][0-9]?|100)$/, {
    message: 'OUTPUT_QUALITY must be an integer from 1 to 100, or auto',
  })
  OUTPUT_QUALITY?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_SIDE)
  OUTPUT_MAX_WIDTH?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_OUTPUT_SIDE)
  OUTPUT_MAX_HEIGHT?: number;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === undefined || value === '' ? undefined : Number(value),
  )
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'AUTO_QUALITY_TARGET must be a number' })
  @Min(0.5)
  @Max(0.9999)
  AUTO_QUALITY_TARGET?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(32)
  @Max(1024)
  THUMBNAIL_SIZE?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  PREVIEW_CONCURRENCY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  CONCURRENCY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  IMAGE_THREADS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_THREAD_POOL_SIZE)
  UV_THREADPOOL_SIZE?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(16)
  @Max(1_048_576)
  IMAGE_MEMORY_MB?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  IMAGE_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1000)
  RECORD_BATCH_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  DOWNLOAD_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  ALLOW_PRIVATE_URLS?: boolean;

  @IsOptional()
  @ValidateBy({
    name: 'isWebhookSecret',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isWebhookSecret(value),
      defaultMessage: () =>
        'WEBHOOK_SECRET must be whsec_ followed by the base64 of a random key of 24 to 64 bytes (Standard Webhooks)',
    },
  })
  WEBHOOK_SECRET?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  WEBHOOK_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toIntList)
  @IsInt({ each: true })
  @Min(0, { each: true })
  WEBHOOK_RETRY_DELAYS_MS?: number[];

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  WEBHOOK_CONCURRENCY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  WEBHOOK_CONCURRENCY_PER_RECEIVER?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  WEBHOOK_CONCURRENCY_PER_KEY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_IMAGE_BYTES?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_IMAGE_PIXELS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(20)
  MAX_REDIRECTS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  DOWNLOAD_RETRIES?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(MAX_TIMER_MS)
  DOWNLOAD_RETRY_BASE_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(MAX_TIMER_MS)
  MAX_RETRY_AFTER_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_CSV_BYTES?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_ROWS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_URLS_PER_ROW?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(3)
  MAX_COLUMNS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_CELL_BYTES?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_RECORD_BYTES?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_CONCURRENT_UPLOADS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  UPLOAD_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  LEASE_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100)
  MAX_LEASE_EXPIRIES?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(MAX_TIMER_MS)
  SHUTDOWN_GRACE_MS?: number;

  @IsOptional()
  @ValidateBy({
    name: 'isApiKeyList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseApiKeys(value) !== undefined,
      defaultMessage: () =>
        'API_KEYS must be a comma-separated list of keys of 24 to 256 characters (A-Z a-z 0-9 . _ ~ + / = -), each optionally "name:key" with a name of 1 to 64 of A-Z a-z 0-9 . _ -, names and keys unique',
    },
  })
  API_KEYS?: string;

  @IsOptional()
  @ValidateBy({
    name: 'isApiKeyWeightList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseApiKeyWeights(value) !== undefined,
      defaultMessage: () =>
        'API_KEY_WEIGHTS must be a comma-separated list of name=weight, each name a key name of API_KEYS given once, each weight an integer from 1 to 1000',
    },
  })
  API_KEY_WEIGHTS?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(MAX_IMAGE_COST)
  MAX_OWNER_COST_IN_FLIGHT?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_UPLOADS_PER_MIN?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  MAX_QUEUED_IMAGES_PER_KEY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  QUEUE_POLL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  READINESS_STORAGE_CACHE_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36_500)
  RETENTION_DAYS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  RETENTION_INTERVAL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  SSE_POLL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  SSE_HEARTBEAT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SSE_MAX_STREAMS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SSE_MAX_STREAMS_PER_KEY?: number;

  @IsOptional()
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: LogFormat;

  @IsOptional()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @IsString()
  NODE_ENV?: string;
}

/**
 * Just above the SSIM of sharp's libjpeg-turbo q50 output (the seed's quality; Pillow uses the same IJG
 * tables) on the 6 MP photo fixture, the harder of the two photos (0.98671), measured as the pipeline
 * scores: see docs/compression.md for the numbers.
 */
const DEFAULT_AUTO_QUALITY_TARGET = 0.9868;

/**
 * Two minutes: a 12 MP photo written as AVIF with quality=auto (up to five AVIF encodes) takes about
 * that on one busy core; noise-like images, the costliest for every encoder, take longer and fail.
 */
const DEFAULT_IMAGE_TIMEOUT_MS = 120_000;

const qualityOf = (value: string | undefined) =>
  value === undefined ? undefined : value === 'auto' ? 'auto' : Number(value);

/** Standard Webhooks / Svix schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [
  0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/** Where the S3 driver writes (present when STORAGE_DRIVER=s3); credentials come from the SDK's default chain. */
export interface S3Settings {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Empty, or ends with "/". */
  prefix: string;
  /** Per attempt: connecting, and waiting for an answer (the SDK retries a timed-out attempt). */
  timeoutMs: number;
}

/** The one validated configuration of the service; injected wherever a setting is needed. */
export class AppConfig {
  readonly role: Role;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly storageDir: string;
  readonly publicUrl: string;
  readonly storageDriver: 'local' | 's3';
  /** Output URLs are `<storagePublicUrl>/<key>` when set, else `<publicUrl>/files/<key>` (served by the API). */
  readonly storagePublicUrl?: string;
  /** While storage is down, the backoff of the probes that find it writable again (claims wait): base and ceiling. */
  readonly storageRetryBaseMs: number;
  readonly storageRetryMaxMs: number;
  readonly s3?: S3Settings;
  /** How a request's images are written when its upload does not say (format, quality, bounds). */
  readonly outputDefaults: OutputOptions;
  /** The SSIM (luma, at 512 px) a `quality=auto` output must reach. */
  readonly autoQualityTarget: number;
  /** The longer side of an output's WebP preview (the dashboard's thumbnails), in pixels. */
  readonly thumbnailSize: number;
  /** Previews made at once in this process (on their first request), at most; the others wait their turn. */
  readonly previewConcurrency: number;
  readonly concurrency: number;
  /** Sharp jobs of image work running at once in this process (each holds one of libuv's pool threads). */
  readonly imageThreads: number;
  /** libuv's thread pool as this process runs it (UV_THREADPOOL_SIZE): the image and preview threads plus at least MIN_IO_THREADS for I/O. */
  readonly threadPoolSize: number;
  /** The estimated working memory of the images being made at once, in bytes, at most (one larger image runs alone). */
  readonly imageMemoryBytes: number;
  /** How long making one image may take once it has its thread and memory; then it fails with `image_timeout`. */
  readonly imageTimeoutMs: number;
  /** How long a finished image waits for others to share its recording transaction (0: none, group commit only). */
  readonly recordBatchMs: number;
  readonly downloadTimeoutMs: number;
  readonly allowPrivateUrls: boolean;
  readonly webhookSecret?: string;
  readonly webhookTimeoutMs: number;
  readonly webhookRetryDelaysMs: number[];
  /** Webhook attempts in flight at once in this process, at most. */
  readonly webhookConcurrency: number;
  /** …of which to one receiver (a URL's origin) at most. */
  readonly webhookConcurrencyPerReceiver: number;
  /** …of which for one API key's requests at most (not applied while the service is open: one client then). */
  readonly webhookConcurrencyPerKey: number;
  readonly maxImageBytes: number;
  readonly maxImagePixels: number;
  readonly maxRedirects: number;
  readonly downloadRetries: number;
  readonly downloadRetryBaseMs: number;
  readonly maxRetryAfterMs: number;
  readonly maxCsvBytes: number;
  readonly maxRows: number;
  readonly maxUrlsPerRow: number;
  readonly maxColumns: number;
  readonly maxCellBytes: number;
  readonly maxRecordBytes: number;
  readonly maxConcurrentUploads: number;
  readonly uploadTimeoutMs: number;
  readonly leaseMs: number;
  /** An image whose lease ran out (its worker died) more often than this fails with `worker_crashed`. */
  readonly maxLeaseExpiries: number;
  readonly shutdownGraceMs: number;
  /** Empty: the API is open (a warning says so at start). */
  readonly apiKeys: ApiKey[];
  /** Uploads per minute per API key (per client address when open); 0: no limit. */
  readonly rateLimitUploadsPerMin: number;
  /** Images queued or processing per API key at most (one bucket when open); 0: no limit. */
  readonly maxQueuedImagesPerKey: number;
  /** The cost (see image-cost.ts) of one owner's images claimed by this process at once, at most. */
  readonly maxOwnerCostInFlight: number;
  readonly queuePollMs: number;
  /** How long /health/ready reuses its storage probe's outcome (many callers, one probe); 0: probe each time. */
  readonly readinessStorageCacheMs: number;
  /** Finished requests are deleted, with their outputs, this many days after they completed; 0 keeps them forever. */
  readonly retentionDays: number;
  /** How often the retention job looks for expired requests. */
  readonly retentionIntervalMs: number;
  /** How often an open progress stream (GET /requests/:id/events) reads its request's counters. */
  readonly ssePollMs: number;
  /** How often an idle progress stream sends a comment, so proxies keep it open. */
  readonly sseHeartbeatMs: number;
  /** Progress streams open at once in this process, at most; one more is answered 503. */
  readonly sseMaxStreams: number;
  /** …of which for one API key (one client address while the service is open) at most; one more is answered 429. */
  readonly sseMaxStreamsPerKey: number;
  /** JSON lines (for log collectors) or readable lines (for a terminal). */
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }

  get isPostgres(): boolean {
    return /^postgres(ql)?:/.test(this.databaseUrl);
  }
}

export class ConfigValidationError extends Error {}

/** API_KEYS with their API_KEY_WEIGHTS; a weight for a name API_KEYS does not have stops the start. */
function apiKeysOf(parsed: Environment): ApiKey[] {
  const keys = parsed.API_KEYS ? parseApiKeys(parsed.API_KEYS)! : [];
  const weights = parsed.API_KEY_WEIGHTS
    ? parseApiKeyWeights(parsed.API_KEY_WEIGHTS)!
    : new Map<string, number>();
  const unknown = [...weights.keys()].filter((name) => !keys.some((key) => key.name === name));
  if (unknown.length > 0)
    throw new ConfigValidationError(
      `Invalid configuration:\n  API_KEY_WEIGHTS=${JSON.stringify(parsed.API_KEY_WEIGHTS)}: names no key of API_KEYS: ${unknown.join(', ')}`,
    );
  return keys.map((key) => ({ ...key, weight: weights.get(key.name) ?? 1 }));
}

/** Variables whose values never appear in a message or a log. */
const SECRETS = new Set(['WEBHOOK_SECRET', 'API_KEYS', 'DATABASE_URL']);

/** Reads and validates the environment; throws one error listing every bad value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = plainToInstance(Environment, env, { excludeExtraneousValues: false });
  const errors = validateSync(parsed, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.flatMap((error) =>
      Object.values(error.constraints ?? {}).map(
        (message) =>
          `  ${error.property}${SECRETS.has(error.property) ? ' (value hidden)' : `=${JSON.stringify(env[error.property])}`}: ${message}`,
      ),
    );
    throw new ConfigValidationError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const sseMaxStreams = parsed.SSE_MAX_STREAMS ?? 100;
  const webhookConcurrency = parsed.WEBHOOK_CONCURRENCY ?? 64;
  const notAbove = (name: keyof Environment, value: number | undefined, capName: string, cap: number) =>
    value !== undefined && value > cap
      ? [`  ${name}=${JSON.stringify(env[name])}: must be at most ${capName} (${cap})`]
      : [];
  const overCaps = [
    ...notAbove('SSE_MAX_STREAMS_PER_KEY', parsed.SSE_MAX_STREAMS_PER_KEY, 'SSE_MAX_STREAMS', sseMaxStreams),
    ...notAbove(
      'WEBHOOK_CONCURRENCY_PER_RECEIVER',
      parsed.WEBHOOK_CONCURRENCY_PER_RECEIVER,
      'WEBHOOK_CONCURRENCY',
      webhookConcurrency,
    ),
    ...notAbove(
      'WEBHOOK_CONCURRENCY_PER_KEY',
      parsed.WEBHOOK_CONCURRENCY_PER_KEY,
      'WEBHOOK_CONCURRENCY',
      webhookConcurrency,
    ),
  ];
  const imageThreads = parsed.IMAGE_THREADS ?? defaultImageThreads();
  const previewConcurrency = parsed.PREVIEW_CONCURRENCY ?? DEFAULT_PREVIEW_CONCURRENCY;
  const sharpThreads = imageThreads + previewConcurrency;
  if (parsed.UV_THREADPOOL_SIZE !== undefined && parsed.UV_THREADPOOL_SIZE < sharpThreads + MIN_IO_THREADS)
    overCaps.push(
      `  UV_THREADPOOL_SIZE=${JSON.stringify(env.UV_THREADPOOL_SIZE)}: must leave at least ${MIN_IO_THREADS} threads for I/O beyond IMAGE_THREADS + PREVIEW_CONCURRENCY (${imageThreads} + ${previewConcurrency}): at least ${sharpThreads + MIN_IO_THREADS}`,
    );
  if (overCaps.length > 0) throw new ConfigValidationError(`Invalid configuration:\n${overCaps.join('\n')}`);
  const role = parsed.ROLE ?? 'all';
  const port = parsed.PORT ?? 3000;
  const dataDir = resolve(parsed.DATA_DIR ?? './data');
  const databaseUrl = parsed.DATABASE_URL ?? `sqlite://${join(dataDir, 'pixelmill.sqlite')}`;
  const apiKeys = apiKeysOf(parsed);
  if (role !== 'all' && !/^postgres(ql)?:/.test(databaseUrl)) {
    throw new ConfigValidationError(
      `Invalid configuration:\n  ROLE="${role}": needs DATABASE_URL=postgres://… (the embedded SQLite file serves one process: use ROLE=all)`,
    );
  }
  // Measured by `npm run bench`: 4 images in flight per core keeps downloads, database writes and
  // files overlapped with sharp's work (2 per core left ~10% of the CPU idle; 6 per core was slower).
  const concurrency = parsed.CONCURRENCY ?? Math.max(4, availableParallelism() * 4);
  return new AppConfig({
    role,
    port,
    dataDir,
    databaseUrl,
    storageDir: resolve(parsed.STORAGE_DIR ?? join(dataDir, 'images')),
    publicUrl: (parsed.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    storageDriver: parsed.STORAGE_DRIVER ?? 'local',
    storagePublicUrl: parsed.STORAGE_PUBLIC_URL?.replace(/\/+$/, ''),
    storageRetryBaseMs: parsed.STORAGE_RETRY_BASE_MS ?? 1000,
    storageRetryMaxMs: parsed.STORAGE_RETRY_MAX_MS ?? 60_000,
    s3:
      parsed.STORAGE_DRIVER === 's3'
        ? {
            bucket: parsed.S3_BUCKET!,
            region: parsed.S3_REGION ?? 'us-east-1',
            endpoint: parsed.S3_ENDPOINT,
            forcePathStyle: parsed.S3_FORCE_PATH_STYLE ?? false,
            prefix: parsed.S3_PREFIX ? parsed.S3_PREFIX.replace(/\/?$/, '/') : '',
            timeoutMs: parsed.S3_TIMEOUT_MS ?? 30_000,
          }
        : undefined,
    outputDefaults: {
      format: parsed.OUTPUT_FORMAT ?? 'jpeg',
      // JPEG_QUALITY, the setting's name before other formats, still counts when OUTPUT_QUALITY is unset.
      quality: qualityOf(parsed.OUTPUT_QUALITY) ?? parsed.JPEG_QUALITY ?? 50,
      maxWidth: parsed.OUTPUT_MAX_WIDTH ?? null,
      maxHeight: parsed.OUTPUT_MAX_HEIGHT ?? null,
    },
    autoQualityTarget: parsed.AUTO_QUALITY_TARGET ?? DEFAULT_AUTO_QUALITY_TARGET,
    thumbnailSize: parsed.THUMBNAIL_SIZE ?? 320,
    // Two: a page of 100 cold previews is made in well under a second (a few ms each from a stored
    // output) while leaving the other cores' worth of threads to the image workers and the API.
    previewConcurrency,
    concurrency,
    imageThreads,
    // The entry point (main.cts) sets it before the pool starts when the operator did not.
    threadPoolSize: parsed.UV_THREADPOOL_SIZE ?? threadPoolSizeFor(imageThreads, previewConcurrency),
    imageMemoryBytes: parsed.IMAGE_MEMORY_MB
      ? parsed.IMAGE_MEMORY_MB * 1024 * 1024
      : defaultImageMemoryBytes(imageThreads),
    imageTimeoutMs: parsed.IMAGE_TIMEOUT_MS ?? DEFAULT_IMAGE_TIMEOUT_MS,
    recordBatchMs: parsed.RECORD_BATCH_MS ?? 5,
    downloadTimeoutMs: parsed.DOWNLOAD_TIMEOUT_MS ?? 20_000,
    allowPrivateUrls: parsed.ALLOW_PRIVATE_URLS ?? false,
    webhookSecret: parsed.WEBHOOK_SECRET,
    webhookTimeoutMs: parsed.WEBHOOK_TIMEOUT_MS ?? 15_000,
    webhookRetryDelaysMs: parsed.WEBHOOK_RETRY_DELAYS_MS ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
    webhookConcurrency,
    webhookConcurrencyPerReceiver: parsed.WEBHOOK_CONCURRENCY_PER_RECEIVER ?? Math.min(4, webhookConcurrency),
    webhookConcurrencyPerKey: parsed.WEBHOOK_CONCURRENCY_PER_KEY ?? Math.min(16, webhookConcurrency),
    maxImageBytes: parsed.MAX_IMAGE_BYTES ?? 25 * 1024 * 1024,
    maxImagePixels: parsed.MAX_IMAGE_PIXELS ?? 100_000_000,
    maxRedirects: parsed.MAX_REDIRECTS ?? 5,
    downloadRetries: parsed.DOWNLOAD_RETRIES ?? 3,
    downloadRetryBaseMs: parsed.DOWNLOAD_RETRY_BASE_MS ?? 1000,
    maxRetryAfterMs: parsed.MAX_RETRY_AFTER_MS ?? 600_000,
    maxCsvBytes: parsed.MAX_CSV_BYTES ?? 50 * 1024 * 1024,
    maxRows: parsed.MAX_ROWS ?? 1_000_000,
    maxUrlsPerRow: parsed.MAX_URLS_PER_ROW ?? 50,
    maxColumns: parsed.MAX_COLUMNS ?? 200,
    maxCellBytes: parsed.MAX_CELL_BYTES ?? 64 * 1024,
    maxRecordBytes: parsed.MAX_RECORD_BYTES ?? 1024 * 1024,
    maxConcurrentUploads: parsed.MAX_CONCURRENT_UPLOADS ?? 4,
    uploadTimeoutMs: parsed.UPLOAD_TIMEOUT_MS ?? 120_000,
    leaseMs: parsed.LEASE_MS ?? 60_000,
    maxLeaseExpiries: parsed.MAX_LEASE_EXPIRIES ?? 3,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS ?? 25_000,
    apiKeys,
    rateLimitUploadsPerMin: parsed.RATE_LIMIT_UPLOADS_PER_MIN ?? 60,
    maxQueuedImagesPerKey: parsed.MAX_QUEUED_IMAGES_PER_KEY ?? 1_000_000,
    // 4 × CONCURRENCY: 16 per core, one image of the largest cost (AVIF) per core (see image-cost.ts).
    maxOwnerCostInFlight: Math.max(MAX_IMAGE_COST, parsed.MAX_OWNER_COST_IN_FLIGHT ?? 4 * concurrency),
    queuePollMs: parsed.QUEUE_POLL_MS ?? 1_000,
    readinessStorageCacheMs: parsed.READINESS_STORAGE_CACHE_MS ?? 2_000,
    retentionDays: parsed.RETENTION_DAYS ?? 30,
    retentionIntervalMs: parsed.RETENTION_INTERVAL_MS ?? 3_600_000,
    ssePollMs: parsed.SSE_POLL_MS ?? 500,
    sseHeartbeatMs: parsed.SSE_HEARTBEAT_MS ?? 15_000,
    sseMaxStreams,
    sseMaxStreamsPerKey: parsed.SSE_MAX_STREAMS_PER_KEY ?? Math.min(10, sseMaxStreams),
    logFormat: parsed.LOG_FORMAT ?? (parsed.NODE_ENV === 'production' ? 'json' : 'text'),
    logLevel: parsed.LOG_LEVEL ?? 'info',
  } as AppConfig);
}
