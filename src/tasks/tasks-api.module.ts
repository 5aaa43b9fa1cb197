import { Module } from '@nestjs/common';
import { RequestList } from './request-list.js';
import { TasksController } from './tasks.controller.js';
import { TasksModule } from './tasks.module.js';

/** GET /status/:request_id and GET /requests, where the role serves the API. */
@Module({
  imports: [TasksModule],
  controllers: [TasksController],
  providers: [RequestList],
})
export class TasksApiModule {}
