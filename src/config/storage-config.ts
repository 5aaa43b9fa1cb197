import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { join, resolve } from 'node:path';
import type { AppConfig } from './app-config.js';
import type { Concern } from './concern.js';
import { asBoolean, asNumber, derived, MAX_TIMER_MS, Variable, withoutTrailingSlash } from './variable.js';

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

const httpUrl = () => IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true });

/** Where output images are written (a folder or an S3 bucket) and how their URLs are made. */
export class StorageConfig {
  @Variable('STORAGE_DRIVER', {
    default: 'local',
    description: '`local` (files under `STORAGE_DIR`) or `s3` (an S3 bucket or an S3-compatible store)',
  })
  @IsIn(['local', 's3'], { message: 'STORAGE_DRIVER must be local or s3' })
  readonly driver: 'local' | 's3';

  @Variable('STORAGE_DIR', {
    read: (text) => resolve(text),
    default: derived((_: StorageConfig, { server }: AppConfig) => join(server.dataDir, 'images')),
    shown: '`DATA_DIR/images`',
    description: 'Where output images are written (`STORAGE_DRIVER=local`)',
  })
  @IsString()
  readonly dir: string;

  /** Output URLs are `<publicUrl>/<key>` when set, else `<PUBLIC_URL>/files/<key>` (served by the API). */
  @Variable('STORAGE_PUBLIC_URL', {
    read: withoutTrailingSlash,
    shown: 'unset',
    description:
      "When set, output URLs are `STORAGE_PUBLIC_URL/<key>` (the bucket's URL under `S3_PREFIX`, or a CDN's)",
  })
  @httpUrl()
  readonly publicUrl?: string;

  @Variable('STORAGE_RETRY_BASE_MS', {
    read: asNumber,
    default: 1000,
    description:
      'While storage is down, a worker claims no image and probes the store, first after ½ to 1 × base, then twice as long after each failed probe…',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_TIMER_MS)
  readonly retryBaseMs: number;

  @Variable('STORAGE_RETRY_MAX_MS', {
    read: asNumber,
    default: 60_000,
    description:
      '…the wait between probes growing no further than this; claiming resumes as soon as a probe (or any write) succeeds',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_TIMER_MS)
  readonly retryMaxMs: number;

  @Variable('READINESS_STORAGE_CACHE_MS', {
    read: asNumber,
    default: 2000,
    description:
      "How long `GET /health/ready` reuses its storage probe's outcome (concurrent calls share one probe), so frequent probes do not hammer the store; `0`: probe on every call (`0`–`60000`)",
  })
  @IsInt()
  @Min(0)
  @Max(60_000)
  readonly readinessCacheMs: number;

  @Variable('S3_BUCKET', {
    optional: false,
    shown: 'required with `s3`',
    description:
      "The bucket; credentials come only from the AWS SDK's default chain (`AWS_ACCESS_KEY_ID`…, instance roles)",
  })
  @ValidateIf((storage: StorageConfig) => storage.driver === 's3' || storage.s3Bucket !== undefined)
  @IsNotEmpty({ message: 'S3_BUCKET is required when STORAGE_DRIVER=s3' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, { message: 'S3_BUCKET must be a bucket name' })
  readonly s3Bucket?: string;

  @Variable('S3_REGION', { default: 'us-east-1', description: "The bucket's region" })
  @Matches(/^[a-z0-9-]+$/, { message: 'S3_REGION must be a region name such as eu-west-1' })
  readonly s3Region: string;

  @Variable('S3_ENDPOINT', {
    shown: 'AWS',
    description: '`http(s)://…` of an S3-compatible store (MinIO, R2, Ceph…)',
  })
  @httpUrl()
  readonly s3Endpoint?: string;

  @Variable('S3_FORCE_PATH_STYLE', {
    read: asBoolean,
    default: false,
    description: '`true` for stores that need `endpoint/bucket/key` addressing',
  })
  @IsBoolean()
  readonly s3ForcePathStyle: boolean;

  @Variable('S3_PREFIX', {
    default: '',
    shown: 'none',
    description:
      'Key prefix inside the bucket (`outputs` stores `outputs/<2 chars>/<image_id>.jpg`, or `.webp`, `.avif`)',
  })
  @Matches(/^(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/, {
    message: 'S3_PREFIX must be path segments of letters, digits, ".", "_" or "-" (no "." or ".." segment)',
  })
  readonly s3Prefix: string;

  @Variable('S3_TIMEOUT_MS', {
    read: asNumber,
    default: 30_000,
    description:
      'Per S3 attempt: connecting, and waiting for an answer; each request is tried up to 4 times (SDK backoff)',
  })
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  readonly s3TimeoutMs: number;

  /** The S3 driver's settings when STORAGE_DRIVER=s3. */
  get s3(): S3Settings | undefined {
    if (this.driver !== 's3') return undefined;
    return {
      bucket: this.s3Bucket!,
      region: this.s3Region,
      endpoint: this.s3Endpoint,
      forcePathStyle: this.s3ForcePathStyle,
      prefix: this.s3Prefix ? this.s3Prefix.replace(/\/?$/, '/') : '',
      timeoutMs: this.s3TimeoutMs,
    };
  }
}

export const storage: Concern<StorageConfig> = { title: 'Storage', schema: StorageConfig };
