import { HealthIndicatorService, type TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import type { ShutdownState } from '../lifecycle/shutdown-state.js';
import { StorageHealth } from '../storage/storage-health.js';
import { StorageUnavailableError } from '../storage/storage-unavailable.error.js';
import type { Storage } from '../storage/storage.js';
import { ReadinessChecks } from './readiness-checks.js';

describe('ReadinessChecks.storageWritable', () => {
  const signals: AbortSignal[] = [];
  let failure: Error | undefined;

  function checks(readinessStorageCacheMs: number): ReadinessChecks {
    const storage = {
      checkWritable: async (signal?: AbortSignal) => {
        signals.push(signal!);
        if (failure) throw failure;
      },
    } as unknown as Storage;
    const config = {
      storage: { readinessCacheMs: readinessStorageCacheMs, retryBaseMs: 1000, retryMaxMs: 1000 },
    } as AppConfig;
    return new ReadinessChecks(
      new HealthIndicatorService(),
      {} as TypeOrmHealthIndicator,
      {} as DataSource,
      new StorageHealth(storage, config),
      {} as ShutdownState,
      config,
    );
  }

  beforeEach(() => {
    signals.length = 0;
    failure = undefined;
  });

  it('hands the check deadline signal to the store, and reports a fixed message, never the store error', async () => {
    failure = new StorageUnavailableError(
      'writing to s3://internal-bucket.storage.corp.example:9000: ECONNREFUSED',
    );
    const result = await checks(0).storageWritable();
    expect(result).toMatchObject({ storage: { status: 'down', message: 'storage is not writable' } });
    expect(JSON.stringify(result)).not.toContain('internal-bucket');
    expect(signals).toHaveLength(1);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    expect(signals[0].aborted).toBe(true); // let go once the check is over: a store still busy with it stops
  });

  it('reuses one probe for READINESS_STORAGE_CACHE_MS, concurrent callers included', async () => {
    const readiness = checks(60_000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => readiness.storageWritable()));
    expect(answers.every((answer) => answer.storage.status === 'up')).toBe(true);
    expect(await readiness.storageWritable()).toMatchObject({
      storage: { status: 'up', cachedResponse: true },
    });
    expect(signals).toHaveLength(1);
  });

  it('probes on every call when READINESS_STORAGE_CACHE_MS is 0', async () => {
    const readiness = checks(0);
    await readiness.storageWritable();
    await readiness.storageWritable();
    expect(signals).toHaveLength(2);
  });
});
