import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';
import { ImageDuplicates1764000000001 } from './migrations/1764000000001-image-duplicates.js';
import { FairClaims1764000000002 } from './migrations/1764000000002-fair-claims.js';
import { RequestOwners1764000000003 } from './migrations/1764000000003-request-owners.js';
import { RetentionIndex1764000000004 } from './migrations/1764000000004-retention-index.js';
import { StagedTasks1764000000005 } from './migrations/1764000000005-staged-tasks.js';
import { OutputOptions1764000000006 } from './migrations/1764000000006-output-options.js';
import { LeaseExpiries1764000000009 } from './migrations/1764000000009-lease-expiries.js';
import { ImageThumbnails1764000000007 } from './migrations/1764000000007-image-thumbnails.js';
import { WaitingDuplicates1764000000010 } from './migrations/1764000000010-waiting-duplicates.js';
import { PreviewsOnDemand1764000000011 } from './migrations/1764000000011-previews-on-demand.js';
import { RequestFileNames1764000000012 } from './migrations/1764000000012-request-file-names.js';
import { QueueCounters1764000000013 } from './migrations/1764000000013-queue-counters.js';
import { DeliveryReceivers1764000000014 } from './migrations/1764000000014-delivery-receivers.js';
import { ImageRenditions1764000000016 } from './migrations/1764000000016-image-renditions.js';
import { SourceReuse1764000000017 } from './migrations/1764000000017-source-reuse.js';
import { LeaseIndex1764000000018 } from './migrations/1764000000018-lease-index.js';
import { QueuedImagesIndex1764000000020 } from './migrations/1764000000020-queued-images-index.js';
import { SourceFinalUrl1764000000019 } from './migrations/1764000000019-source-final-url.js';
import { loadSqliteDriver } from './sqlite-driver.js';

const MIGRATIONS = [
  InitialSchema1764000000000,
  ImageDuplicates1764000000001,
  FairClaims1764000000002,
  RequestOwners1764000000003,
  RetentionIndex1764000000004,
  StagedTasks1764000000005,
  OutputOptions1764000000006,
  LeaseExpiries1764000000009,
  ImageThumbnails1764000000007,
  WaitingDuplicates1764000000010,
  PreviewsOnDemand1764000000011,
  RequestFileNames1764000000012,
  QueueCounters1764000000013,
  DeliveryReceivers1764000000014,
  ImageRenditions1764000000016,
  SourceReuse1764000000017,
  LeaseIndex1764000000018,
  SourceFinalUrl1764000000019,
  QueuedImagesIndex1764000000020,
];

/**
 * The TypeORM options, without entities: in the app each module registers its own (TypeOrmModule.forFeature,
 * gathered by autoLoadEntities); a data source outside Nest takes them from ../standalone-data-source.ts.
 */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
  } as const;
  if (config.database.isPostgres) {
    return {
      ...common,
      type: 'postgres',
      url: config.database.url,
      poolSize: config.workers.concurrency + 4,
    };
  }
  const file = config.database.url.replace(/^sqlite:\/\//, '');
  mkdirSync(dirname(file), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    driver: loadSqliteDriver(),
    database: file,
    enableWAL: true,
    timeout: 10_000,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('synchronous = NORMAL');
      // Checkpoints run in a worker thread (WalCheckpointer), not after the commit in this connection.
      db.pragma('wal_autocheckpoint = 0');
      db.pragma('foreign_keys = ON');
    },
  };
}
