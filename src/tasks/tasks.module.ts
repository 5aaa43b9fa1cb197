import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueCounters } from './queue-counters.js';
import { QueueQuota } from './queue-quota.js';
import { TasksService } from './tasks.service.js';
import { Task } from './task.entity.js';

/** The stored requests (tasks), their counters, the queue's summary and the per-owner queue quota, for every role. */
@Module({
  imports: [TypeOrmModule.forFeature([Task])],
  providers: [TasksService, QueueQuota, QueueCounters],
  exports: [TasksService, QueueQuota, QueueCounters],
})
export class TasksModule {}
