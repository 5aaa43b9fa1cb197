import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { StorageHealth } from '../storage/storage-health.js';

const TIMEOUT_MS = 3_000;
/** What /health/ready says of a store it cannot write: the reason (host names, paths) goes to the log only. */
const STORAGE_DOWN = 'storage is not writable';

/** What must hold for this process to take traffic; each check is named in the 503 when it fails. */
@Injectable()
export class ReadinessChecks {
  private readonly logger = new Logger(ReadinessChecks.name);

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly typeOrm: TypeOrmHealthIndicator,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storageHealth: StorageHealth,
    private readonly shutdown: ShutdownState,
    private readonly config: AppConfig,
  ) {}

  /** The database answers a query. */
  database() {
    return this.typeOrm.pingCheck('database').withTimeout(TIMEOUT_MS);
  }

  /** Every migration this build knows is applied (a newer build on an old schema is not ready). */
  migrations() {
    return this.indicators
      .check('migrations')
      .attempt(async () => {
        if (await this.dataSource.showMigrations()) throw new Error('pending migrations');
      })
      .withTimeout(TIMEOUT_MS);
  }

  /**
   * An object can be written and removed where outputs go (the outcome also tells uploads whether to take
   * files). The probe is abandoned at the check's deadline, and its outcome is reused for
   * READINESS_STORAGE_CACHE_MS, so a flood of readiness calls makes one probe, not one each.
   */
  storageWritable() {
    const check = this.indicators
      .check('storage')
      .attempt(async ({ signal }) => {
        try {
          await this.storageHealth.checkWritable(signal);
        } catch (error) {
          this.logger.warn(`readiness: ${(error as Error).message}`);
          throw new Error(STORAGE_DOWN);
        }
      })
      .withTimeout(TIMEOUT_MS);
    const cacheMs = this.config.storage.readinessCacheMs;
    return cacheMs > 0 ? check.cacheFor(cacheMs) : check;
  }

  /** The process is not draining for shutdown (it finishes its work but takes no new requests). */
  notShuttingDown() {
    const check = this.indicators.check('shutdown');
    return this.shutdown.draining ? check.down({ message: 'the process is shutting down' }) : check.up();
  }
}
