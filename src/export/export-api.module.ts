import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { ExportController } from './export.controller.js';
import { ExportService } from './export.service.js';

@Module({
  imports: [TasksModule, ImagesModule],
  controllers: [ExportController],
  providers: [ExportService],
})
export class ExportApiModule {}
