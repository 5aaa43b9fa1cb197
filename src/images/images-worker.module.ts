import { Module } from '@nestjs/common';
import { SafeHttpModule } from '../http/safe-http.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { ImageAdmission } from './image-admission.js';
import { ImagePipeline } from './image-pipeline.js';
import { ImageProcessor } from './image-processor.js';
import { ImageWorker } from './image-worker.js';
import { ImagesModule } from './images.module.js';
import { DuplicateFanOut } from './outcomes/duplicate-fan-out.js';
import { DuplicateImages } from './outcomes/duplicate-images.js';
import { FinishedImages } from './outcomes/finished-images.js';
import { OutcomeRecorder } from './outcomes/outcome-recorder.js';
import { OutcomeTransaction } from './outcomes/outcome-transaction.js';
import { TaskCompletion } from './outcomes/task-completion.js';
import { RenditionOutputs } from './renditions/rendition-outputs.js';
import { RenditionPipeline } from './renditions/rendition-pipeline.js';
import { ReuseLedger } from './reuse/reuse-ledger.js';
import { SourceMemory } from './reuse/source-memory.js';
import { SourceReuse } from './reuse/source-reuse.js';

/** Downloads, processes and stores queued images: where the role runs workers. */
@Module({
  imports: [ImagesModule, TasksModule, SafeHttpModule],
  providers: [
    ImagePipeline,
    ImageAdmission,
    RenditionPipeline,
    RenditionOutputs,
    SourceMemory,
    SourceReuse,
    ReuseLedger,
    ImageProcessor,
    FinishedImages,
    DuplicateImages,
    DuplicateFanOut,
    TaskCompletion,
    OutcomeTransaction,
    OutcomeRecorder,
    ImageWorker,
  ],
})
export class ImagesWorkerModule {}
