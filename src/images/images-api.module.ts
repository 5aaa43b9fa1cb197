import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module.js';
import { FailedImageRetry } from './failed-image-retry.js';
import { ImageListing } from './image-listing.js';
import { ImagesController } from './images.controller.js';
import { ImagesModule } from './images.module.js';

/** GET /requests/:id/images and POST /requests/:id/retry, where the role serves the API. */
@Module({
  imports: [ImagesModule, TasksModule],
  controllers: [ImagesController],
  providers: [ImageListing, FailedImageRetry],
})
export class ImagesApiModule {}
