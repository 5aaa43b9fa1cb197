import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccessModule } from './access/access.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { validationException } from './common/validation-errors.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events.module.js';
import { ExportModule } from './export/export.module.js';
import { ImageWorkerModule } from './images/image-worker.module.js';
import { ImagesApiModule } from './images/images-api.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { FilesModule } from './storage/files.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PreviewsModule } from './previews/previews.module.js';
import { RequestDeletionApiModule } from './retention/request-deletion-api.module.js';
import { RetentionModule } from './retention/retention.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TasksApiModule } from './tasks/tasks-api.module.js';
import { UploadModule } from './upload/upload.module.js';
import { WebhookDeliveryModule } from './webhooks/webhook-delivery.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/**
 * What every process has besides its configuration: logs, metrics, lifecycle, the database, events,
 * storage, the outbox, and the health endpoints an orchestrator probes (every role answers them).
 */
const FOUNDATION = [
  LoggingModule,
  MetricsModule,
  LifecycleModule,
  DatabaseModule,
  EventsModule,
  StorageModule,
  WebhooksModule,
  HealthModule,
];
/** The HTTP API: upload, status, images, retry, delete, export, output files and previews, the dashboard (ROLE=api and all). */
const API = [
  AccessModule,
  UploadModule,
  TasksApiModule,
  ImagesApiModule,
  RequestDeletionApiModule,
  ExportModule,
  FilesModule,
  PreviewsModule,
  DashboardModule,
];
/** The background jobs: image processing, webhook delivery and retention (ROLE=worker and all). */
const WORKERS = [ImageWorkerModule, WebhookDeliveryModule, RetentionModule];

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
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}
