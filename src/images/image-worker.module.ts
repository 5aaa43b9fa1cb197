import { Module } from '@nestjs/common';
import { SafeHttpModule } from '../http/http.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { ImageAdmission } from './image-admission.js';
import { ImagePipeline } from './image-pipeline.js';
import { ImageProcessor } from './image-processor.js';
import { ImageWorker } from './image-worker.js';
import { ImagesModule } from './images.module.js';
import { OutcomeRecorder } from './outcome-recorder.js';

/** Downloads, processes and stores queued images: where the role runs workers. */
@Module({
  imports: [ImagesModule, TasksModule, SafeHttpModule],
  providers: [ImagePipeline, ImageAdmission, ImageProcessor, OutcomeRecorder, ImageWorker],
})
export class ImageWorkerModule {}
