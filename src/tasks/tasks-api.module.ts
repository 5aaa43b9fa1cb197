import { Module } from '@nestjs/common';
import { RequestEventsController } from './request-events.controller.js';
import { RequestList } from './request-list.js';
import { RequestProgressStreams } from './request-progress-streams.js';
import { TasksController } from './tasks.controller.js';
import { TasksModule } from './tasks.module.js';

/** GET /status/:request_id, GET /requests and GET /requests/:request_id/events, where the role serves the API. */
@Module({
  imports: [TasksModule],
  controllers: [TasksController, RequestEventsController],
  providers: [RequestList, RequestProgressStreams],
})
export class TasksApiModule {}
