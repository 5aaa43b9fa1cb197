import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent, DomainEvents } from '../events.js';
import { SafeHttpClient } from '../http/safe-http-client.js';
import { Metrics } from '../metrics/metrics.js';
import { Storage } from '../storage/storage.js';
import { TasksService } from '../tasks/tasks.service.js';
import { classifyFailure, downloadRetryDelay } from './image-failure.js';
import { Image } from './image.entity.js';
import { ImagePipeline } from './image-pipeline.js';
import { ImagesService } from './images.service.js';
import { outputKeyOf } from './output-key.js';

/** Processes one leased image: download, make web-ready, store, record; never throws. */
@Injectable()
export class ImageProcessor {
  private readonly logger = new Logger(ImageProcessor.name);

  constructor(
    private readonly http: SafeHttpClient,
    private readonly pipeline: ImagePipeline,
    private readonly storage: Storage,
    private readonly images: ImagesService,
    private readonly tasks: TasksService,
    private readonly unitOfWork: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async process(image: Image): Promise<void> {
    let inputBytes: number | null = null;
    try {
      const download = await this.metrics.timed('download', () => this.http.download(image.inputUrl));
      inputBytes = download.body.length;
      const jpeg = await this.metrics.timed('process', () => this.pipeline.toWebJpeg(download.body));
      const outputKey = outputKeyOf(image.id);
      await this.metrics.timed('store', () => this.storage.put(outputKey, jpeg.data));
      const recorded = await this.record(
        image,
        (tx) =>
          this.images.markDone(tx, image, {
            outputKey,
            inputBytes: inputBytes!,
            outputBytes: jpeg.data.length,
          }),
        false,
      );
      if (recorded) this.metrics.imageDone(inputBytes, jpeg.data.length);
    } catch (error) {
      const failure = classifyFailure(error);
      const context = `request ${image.taskId} image ${image.id} (${image.inputUrl}) attempt ${image.attempts}${failure.detail ? ` [${failure.detail}]` : ''}`;
      if (failure.retryable && image.attempts <= this.config.downloadRetries) {
        const delay = Math.max(
          downloadRetryDelay(image.attempts, Math.random, this.config.downloadRetryBaseMs),
          failure.retryAfterMs ?? 0,
        );
        this.logger.warn(`${context}: ${failure.code} (${failure.message}); retrying in ${delay} ms`);
        await this.unitOfWork.run((tx) => this.images.retryLater(tx, image.id, delay, failure));
        return;
      }
      this.logger.warn(`${context}: failed with ${failure.code} (${failure.message})`);
      const recorded = await this.record(
        image,
        (tx) => this.images.markFailed(tx, image, failure, inputBytes),
        true,
      );
      // A run killed between storing this image's output and recording it may have left the file.
      if (recorded) this.metrics.imageFailed(failure.code, inputBytes);
      if (recorded) await this.storage.remove(outputKeyOf(image.id));
    }
  }

  /**
   * Records the outcome, counts it and, when it was the request's last image, announces completion: one
   * transaction. Returns false when the lease was lost (another worker owns the image), so nothing was recorded.
   */
  private async record(
    image: Image,
    mark: (tx: Transaction) => Promise<number>,
    failed: boolean,
  ): Promise<boolean> {
    return this.unitOfWork.run(async (tx) => {
      const count = await mark(tx);
      if (count === 0) return false;
      const finished = await this.tasks.recordImageOutcome(tx, image.taskId, { failed, count });
      if (!finished) return true;
      this.logger.log(
        `request ${finished.id}: ${finished.status} (${finished.processedImages - finished.failedImages} done, ${finished.failedImages} failed)`,
      );
      await this.events.emitAsync(DomainEvent.RequestCompleted, {
        requestId: finished.id,
        status: finished.status,
        totalImages: finished.totalImages,
        processedImages: finished.processedImages,
        failedImages: finished.failedImages,
        webhookUrl: finished.webhookUrl,
        completedAt: finished.completedAt!,
        tx,
      });
      return true;
    });
  }
}
