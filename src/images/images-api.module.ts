import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TasksModule } from '../tasks/tasks.module.js';
import { ErrorCodeSummary } from './error-code-summary.js';
import { FailedImageRetry } from './failed-image-retry.js';
import { Image } from './image.entity.js';
import { ImageListing } from './image-listing.js';
import { ImagesController } from './images.controller.js';
import { ImagesModule } from './images.module.js';

/** GET /requests/:id/images, GET /requests/:id/error-codes and POST /requests/:id/retry, where the role serves the API. */
@Module({
  imports: [ImagesModule, TasksModule, TypeOrmModule.forFeature([Image])],
  controllers: [ImagesController],
  providers: [ImageListing, ErrorCodeSummary, FailedImageRetry],
})
export class ImagesApiModule {}
