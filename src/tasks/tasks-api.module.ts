import { Module } from '@nestjs/common';
import { RequestEventsController } from './request-events.controller.js';
import { RequestList } from './request-list.js';
import { RequestProgressStreams } from './request-progress-streams.js';
import { RequestsController } from './requests.controller.js';
import { TasksModule } from './tasks.module.js';

/** GET /requests, GET /status/:request_id and GET /requests/:request_id/events, where the role serves the API. */
@Module({
  imports: [TasksModule],
  controllers: [RequestsController, RequestEventsController],
  providers: [RequestList, RequestProgressStreams],
})
export class TasksApiModule {}
