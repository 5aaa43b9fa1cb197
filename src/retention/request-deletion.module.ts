import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { RequestDeletion } from './request-deletion.js';

/**
 * Deleting finished requests, rows and outputs: composes the tasks, images and webhooks data (which never
 * import one another for it), for DELETE /requests/:id and the retention job.
 */
@Module({
  imports: [TasksModule, ImagesModule],
  providers: [RequestDeletion],
  exports: [RequestDeletion],
})
export class RequestDeletionModule {}
