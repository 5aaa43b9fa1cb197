import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccessApiModule } from './access/access-api.module.js';
import { DomainErrorFilter } from './common/domain-error.filter.js';
import { validationException } from './common/validation-errors.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DashboardApiModule } from './dashboard/dashboard-api.module.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events.module.js';
import { ExportApiModule } from './export/export-api.module.js';
import { ImagesWorkerModule } from './images/images-worker.module.js';
import { ImagesApiModule } from './images/images-api.module.js';
import { QueueDepthModule } from './images/queue/queue-depth.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { FilesApiModule } from './storage/files-api.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PreviewsApiModule } from './previews/previews-api.module.js';
import { RetentionWorkerModule } from './retention/retention-worker.module.js';
import { StorageModule } from './storage/storage.module.js';
import { RequestDeletionApiModule } from './tasks/request-deletion-api.module.js';
import { TasksApiModule } from './tasks/tasks-api.module.js';
import { UploadApiModule } from './upload/upload-api.module.js';
import { WebhooksWorkerModule } from './webhooks/webhooks-worker.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/**
 * What every process has besides its configuration: logs, metrics, lifecycle, the database, events,
 * storage, the outbox and the queue's depth (read ports of webhooks and images), and the health
 * endpoints an orchestrator probes (every role answers them).
 */
const FOUNDATION = [
  LoggingModule,
  MetricsModule,
  LifecycleModule,
  DatabaseModule,
  EventsModule,
  StorageModule,
  WebhooksModule,
  QueueDepthModule,
  HealthModule,
];
/** The HTTP API: upload, status, images, retry, delete, export, output files and previews, the dashboard (ROLE=api and all). */
const API = [
  AccessApiModule,
  UploadApiModule,
  TasksApiModule,
  ImagesApiModule,
  RequestDeletionApiModule,
  ExportApiModule,
  FilesApiModule,
  PreviewsApiModule,
  DashboardApiModule,
];
/** The background jobs: image processing, webhook delivery and retention (ROLE=worker and all). */
const WORKERS = [ImagesWorkerModule, WebhooksWorkerModule, RetentionWorkerModule];

/**
 * The one composition point: what a process runs is decided by its ROLE here, and nowhere else; the
 * configuration is the one its caller loaded.
 */
@Module({})
export class AppModule {
  static forConfig(config: AppConfig): DynamicModule {
    const { role } = config.server;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ...FOUNDATION,
        ...(role === 'worker' ? [] : API),
        ...(role === 'api' ? [] : WORKERS),
      ],
      providers: [
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            transform: true,
            stopAtFirstError: true,
            exceptionFactory: validationException,
          }),
        },
        { provide: APP_FILTER, useClass: DomainErrorFilter },
      ],
    };
  }
}
