import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { Image } from './image.entity.js';
import { ProductPages } from './product-pages.js';
import { Product } from './product.entity.js';
import { ProductWriter } from './product-writer.js';
import { ImageQueue } from './queue/image-queue.js';
import { LeasedImageQueue } from './queue/leased-image-queue.js';
import { LeaseStore } from './queue/lease-store.js';
import { LocalWakeSignal } from './queue/local-wake-signal.js';
import { PostgresWakeSignal } from './queue/postgres-wake-signal.js';
import { QueueStatistics } from './queue/queue-statistics.js';
import { WakeSignal } from './queue/wake-signal.js';
import { RequestCreatedListener } from './request-created.listener.js';
import { OutputReferences } from './outputs/output-references.js';
import { OutputRemovals } from './outputs/output-removals.js';
import { TaskRowsRemoval } from './task-rows-removal.js';

/**
 * The products and images of requests and the queue's producer side, in every role: upload and retry
 * enqueue here; ImagesWorkerModule consumes where the role runs workers.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Image, Product]), TasksModule],
  providers: [
    ProductWriter,
    ProductPages,
    LeaseStore,
    LeasedImageQueue,
    { provide: ImageQueue, useExisting: LeasedImageQueue },
    LocalWakeSignal,
    PostgresWakeSignal,
    {
      provide: WakeSignal,
      inject: [AppConfig, LocalWakeSignal, PostgresWakeSignal],
      useFactory: (config: AppConfig, local: LocalWakeSignal, postgres: PostgresWakeSignal) =>
        config.database.isPostgres ? postgres : local,
    },
    RequestCreatedListener,
    QueueStatistics,
    TaskRowsRemoval,
    OutputReferences,
    OutputRemovals,
  ],
  exports: [ProductWriter, ProductPages, ImageQueue, TaskRowsRemoval],
})
export class ImagesModule {}
