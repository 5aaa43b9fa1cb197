import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { StorageHealth } from '../storage/storage-health.js';

const TIMEOUT_MS = 3_000;

/** What must hold for this process to take traffic; each check is named in the 503 when it fails. */
@Injectable()
export class ReadinessChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly typeOrm: TypeOrmHealthIndicator,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storageHealth: StorageHealth,
    private readonly shutdown: ShutdownState,
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

  /** An object can be written and removed where outputs go (the outcome also tells uploads whether to take files). */
  storageWritable() {
    return this.indicators
      .check('storage')
      .attempt(() => this.storageHealth.checkWritable())
      .withTimeout(TIMEOUT_MS);
  }

  /** The process is not draining for shutdown (it finishes its work but takes no new requests). */
  notShuttingDown() {
    const check = this.indicators.check('shutdown');
    return this.shutdown.draining ? check.down({ message: 'the process is shutting down' }) : check.up();
  }
}
