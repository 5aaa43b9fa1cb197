import { Module } from '@nestjs/common';
import { TasksController } from './tasks.controller.js';
import { TasksModule } from './tasks.module.js';

/** GET /status/:request_id, where the role serves the API. */
@Module({
  imports: [TasksModule],
  controllers: [TasksController],
})
export class TasksApiModule {}
