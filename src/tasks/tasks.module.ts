import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueQuota } from './queue-quota.js';
import { TasksService } from './tasks.service.js';
import { Task } from './task.entity.js';

/** The stored requests (tasks), their counters and the per-owner queue quota, for every role. */
@Module({
  imports: [TypeOrmModule.forFeature([Task])],
  providers: [TasksService, QueueQuota],
  exports: [TasksService, QueueQuota],
})
export class TasksModule {}
