import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { AppConfig } from '../config/app-config.js';
import type { S3Settings } from '../config/storage-config.js';
import {
  contentTypeOf,
  isStorageKey,
  OBJECT_CACHE_CONTROL,
  publicUrlOf,
  requireStorageKey,
} from './storage-key.js';
import { StorageUnavailableError } from './storage-unavailable.error.js';
import { Storage, StoredObject } from './storage.js';

/** Attempts per request, the first included; the SDK's standard strategy backs off with jitter between them. */
const MAX_ATTEMPTS = 4;
/** The object checkWritable overwrites, under S3_PREFIX (a fixed key, so probes never pile up). */
const PROBE_KEY = '.pixelmill-probe';

/**
 * Objects in an S3 bucket (or an S3-compatible store: S3_ENDPOINT, S3_FORCE_PATH_STYLE) under S3_PREFIX.
 * Credentials come from the SDK's default chain only. A PutObject is atomic in S3 itself: an upload that
 * fails or is cut off stores nothing, and readers see the old object or the new one.
 */
@Injectable()
export class S3Storage extends Storage implements OnApplicationShutdown {
  private readonly client: S3Client;
  private readonly settings: S3Settings;

  constructor(private readonly config: AppConfig) {
    super();
    if (!config.storage.s3) throw new Error('S3Storage needs the S3 settings (STORAGE_DRIVER=s3)');
    this.settings = config.storage.s3;
    this.client = new S3Client({
      region: this.settings.region,
      endpoint: this.settings.endpoint,
      forcePathStyle: this.settings.forcePathStyle,
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
      // Per attempt: a store that accepts the connection and then hangs times out, and the attempt is retried.
      // Without throwOnRequestTimeout the SDK only logs a request past requestTimeout and keeps waiting; the
      // socket timeout also ends a download that stalls after its headers (FilesController's stream).
      requestHandler: {
        connectionTimeout: this.settings.timeoutMs,
        requestTimeout: this.settings.timeoutMs,
        throwOnRequestTimeout: true,
        socketTimeout: this.settings.timeoutMs,
      },
    });
  }

  onApplicationShutdown(): void {
    this.client.destroy();
  }

  async put(key: string, body: Buffer): Promise<void> {
    const objectKey = this.objectKey(requireStorageKey(key));
    await this.send(`storing ${key}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: objectKey,
          Body: body,
          ContentLength: body.length,
          ContentType: contentTypeOf(key),
          CacheControl: OBJECT_CACHE_CONTROL,
        }),
      ),
    );
  }

  async remove(key: string): Promise<void> {
    // S3 answers 204 for an absent key too.
    const objectKey = this.objectKey(requireStorageKey(key));
    await this.send(`removing ${key}`, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: objectKey })),
    );
  }

  async open(key: string): Promise<StoredObject | undefined> {
    if (!isStorageKey(key)) return undefined;
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
      );
      return {
        body: object.Body as Readable,
        contentLength: object.ContentLength ?? 0,
        contentType: object.ContentType ?? contentTypeOf(key),
      };
    } catch (error) {
      if (isAbsentKey(error)) return undefined;
      throw unavailable(`reading ${key}`, error);
    }
  }

  async read(key: string): Promise<Buffer | undefined> {
    const object = await this.open(key);
    if (!object) return undefined;
    try {
      return Buffer.concat(await object.body.toArray());
    } catch (error) {
      throw unavailable(`reading ${key}`, error);
    }
  }

  publicUrl(key: string): string {
    return publicUrlOf(this.config, key);
  }

  /** Overwrites one small probe object: proves the bucket exists and these credentials may write to it. */
  async checkWritable(signal?: AbortSignal): Promise<void> {
    await this.send('writing a probe object', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.objectKey(PROBE_KEY),
          Body: Buffer.from('probe'),
          ContentType: 'text/plain',
        }),
        { abortSignal: signal },
      ),
    );
  }

  private objectKey(key: string): string {
    return this.settings.prefix + key;
  }

  private async send<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw unavailable(what, error);
    }
  }
}

/** No object under the key (a 404 other than a missing bucket, for stores that answer without NoSuchKey). */
function isAbsentKey(error: unknown): boolean {
  if (error instanceof NoSuchKey) return true;
  return (
    error instanceof S3ServiceException &&
    error.$metadata.httpStatusCode === 404 &&
    error.name !== 'NoSuchBucket'
  );
}

/**
 * Whatever the SDK still throws after its retries (connection refused, timeouts, 5xx, throttling, a missing
 * bucket, refused credentials) means the store cannot take this write now; the key itself was checked before.
 */
function unavailable(what: string, error: unknown): StorageUnavailableError {
  const detail =
    error instanceof S3ServiceException
      ? `${error.name} (HTTP ${error.$metadata.httpStatusCode ?? '?'}): ${error.message}`
      : `${(error as NodeJS.ErrnoException).code ?? (error as Error).name}: ${(error as Error).message}`;
  return new StorageUnavailableError(`${what} in bucket: ${detail}`, { cause: error });
}
