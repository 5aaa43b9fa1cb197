import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module.js';
import { RequestDeletionModule } from './request-deletion.module.js';
import { RetentionJob } from './retention-job.js';

/** The retention background job: where the role runs workers. */
@Module({
  imports: [TasksModule, RequestDeletionModule],
  providers: [RetentionJob],
})
export class RetentionWorkerModule {}
