import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SafeHttpModule } from '../http/http.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { FailedImageRetry } from './failed-image-retry.js';
import { ImageListing } from './image-listing.js';
import { ImagePipeline } from './image-pipeline.js';
import { ImageProcessor } from './image-processor.js';
import { Image } from './image.entity.js';
import { ImagesController } from './images.controller.js';
import { ImagesService } from './images.service.js';
import { Product } from './product.entity.js';
import { ImageQueue } from './queue/image-queue.js';
import { InProcessImageQueue } from './queue/in-process-image-queue.js';
import { RequestCreatedListener } from './request-created.listener.js';

@Module({
  imports: [TypeOrmModule.forFeature([Image, Product]), SafeHttpModule, TasksModule],
  controllers: [ImagesController],
  providers: [
    ImagesService,
    ImageListing,
    FailedImageRetry,
    ImagePipeline,
    ImageProcessor,
    RequestCreatedListener,
    InProcessImageQueue,
    { provide: ImageQueue, useExisting: InProcessImageQueue },
  ],
  exports: [ImagesService, ImageQueue],
})
export class ImagesModule {}
