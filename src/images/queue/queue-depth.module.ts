import { Global, Module } from '@nestjs/common';
import { QueueDepthReader } from '../../metrics/queue-depth-reader.js';
import { ImageQueueDepth } from './image-queue-depth.js';

/** The queue's depth for the metrics (QueueDepthReader), in every role: provided globally so metrics never imports images. */
@Global()
@Module({
  providers: [{ provide: QueueDepthReader, useClass: ImageQueueDepth }],
  exports: [QueueDepthReader],
})
export class QueueDepthModule {}
