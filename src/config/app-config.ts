import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { availableParallelism } from 'node:os';
import { resolve, join } from 'node:path';

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

/** The environment as it is read: every variable optional, every value checked. */
class Environment {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

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
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  JPEG_QUALITY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  CONCURRENCY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  DOWNLOAD_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  ALLOW_PRIVATE_URLS?: boolean;

  @IsOptional()
  @Matches(/^whsec_[A-Za-z0-9+/]+={0,2}$/, {
    message: 'WEBHOOK_SECRET must be whsec_ followed by a base64 key',
  })
  WEBHOOK_SECRET?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
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
  DOWNLOAD_RETRY_BASE_MS?: number;

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
  UPLOAD_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  LEASE_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  SHUTDOWN_GRACE_MS?: number;
}

/** Standard Webhooks / Svix schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [
  0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/** The one validated configuration of the service; injected wherever a setting is needed. */
export class AppConfig {
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly storageDir: string;
  readonly publicUrl: string;
  readonly jpegQuality: number;
  readonly concurrency: number;
  readonly downloadTimeoutMs: number;
  readonly allowPrivateUrls: boolean;
  readonly webhookSecret?: string;
  readonly webhookTimeoutMs: number;
  readonly webhookRetryDelaysMs: number[];
  readonly maxImageBytes: number;
  readonly maxImagePixels: number;
  readonly maxRedirects: number;
  readonly downloadRetries: number;
  readonly downloadRetryBaseMs: number;
  readonly maxCsvBytes: number;
  readonly maxRows: number;
  readonly maxUrlsPerRow: number;
  readonly maxColumns: number;
  readonly maxCellBytes: number;
  readonly maxRecordBytes: number;
  readonly maxConcurrentUploads: number;
  readonly uploadTimeoutMs: number;
  readonly leaseMs: number;
  readonly shutdownGraceMs: number;

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }

  get isPostgres(): boolean {
    return /^postgres(ql)?:/.test(this.databaseUrl);
  }
}

export class ConfigValidationError extends Error {}

/** Reads and validates the environment; throws one error listing every bad value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = plainToInstance(Environment, env, { excludeExtraneousValues: false });
  const errors = validateSync(parsed, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.flatMap((error) =>
      Object.values(error.constraints ?? {}).map(
        (message) => `  ${error.property}=${JSON.stringify(env[error.property])}: ${message}`,
      ),
    );
    throw new ConfigValidationError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const port = parsed.PORT ?? 3000;
  const dataDir = resolve(parsed.DATA_DIR ?? './data');
  return new AppConfig({
    port,
    dataDir,
    databaseUrl: parsed.DATABASE_URL ?? `sqlite://${join(dataDir, 'pixelmill.sqlite')}`,
    storageDir: resolve(parsed.STORAGE_DIR ?? join(dataDir, 'images')),
    publicUrl: (parsed.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    jpegQuality: parsed.JPEG_QUALITY ?? 50,
    // Measured by `npm run bench`: 4 images in flight per core keeps downloads, database writes and
    // files overlapped with sharp's work (2 per core left ~10% of the CPU idle; 6 per core was slower).
    concurrency: parsed.CONCURRENCY ?? Math.max(4, availableParallelism() * 4),
    downloadTimeoutMs: parsed.DOWNLOAD_TIMEOUT_MS ?? 20_000,
    allowPrivateUrls: parsed.ALLOW_PRIVATE_URLS ?? false,
    webhookSecret: parsed.WEBHOOK_SECRET,
    webhookTimeoutMs: parsed.WEBHOOK_TIMEOUT_MS ?? 15_000,
    webhookRetryDelaysMs: parsed.WEBHOOK_RETRY_DELAYS_MS ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
    maxImageBytes: parsed.MAX_IMAGE_BYTES ?? 25 * 1024 * 1024,
    maxImagePixels: parsed.MAX_IMAGE_PIXELS ?? 100_000_000,
    maxRedirects: parsed.MAX_REDIRECTS ?? 5,
    downloadRetries: parsed.DOWNLOAD_RETRIES ?? 3,
    downloadRetryBaseMs: parsed.DOWNLOAD_RETRY_BASE_MS ?? 1000,
    maxCsvBytes: parsed.MAX_CSV_BYTES ?? 50 * 1024 * 1024,
    maxRows: parsed.MAX_ROWS ?? 1_000_000,
    maxUrlsPerRow: parsed.MAX_URLS_PER_ROW ?? 50,
    maxColumns: parsed.MAX_COLUMNS ?? 200,
    maxCellBytes: parsed.MAX_CELL_BYTES ?? 64 * 1024,
    maxRecordBytes: parsed.MAX_RECORD_BYTES ?? 1024 * 1024,
    maxConcurrentUploads: parsed.MAX_CONCURRENT_UPLOADS ?? 4,
    uploadTimeoutMs: parsed.UPLOAD_TIMEOUT_MS ?? 120_000,
    leaseMs: parsed.LEASE_MS ?? 60_000,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS ?? 25_000,
  } as AppConfig);
}
