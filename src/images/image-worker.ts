import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ImageProcessor } from './image-processor.js';
import { ImageQueue } from './queue/image-queue.js';

/** The image background job: consumes the queue with the ImageProcessor as its handler. */
@Injectable()
export class ImageWorker implements OnApplicationBootstrap {
  constructor(
    private readonly queue: ImageQueue,
    private readonly processor: ImageProcessor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.work(
      (image, slot) => this.processor.process(image, slot),
      (images) => this.processor.prepare(images),
    );
  }
}
