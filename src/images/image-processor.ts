import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent, DomainEvents, type RequestCompletedEvent } from '../events.js';
import { SafeHttpClient } from '../http/safe-http-client.js';
import { StorageUnavailableError } from '../storage/storage-unavailable.error.js';
import { Metrics } from '../metrics/metrics.js';
import { StorageHealth } from '../storage/storage-health.js';
import { Storage } from '../storage/storage.js';
import { TasksService } from '../tasks/tasks.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import {
  type ClassifiedFailure,
  classifyFailure,
  downloadRetryDelay,
  storageRetryDelay,
} from './image-failure.js';
import { ImagePipeline } from './image-pipeline.js';
import { ImagesService } from './images.service.js';
import { outputKeyOf, thumbnailKeyOf } from './output-key.js';
import { type ClaimedImage, LeaseStore } from './queue/lease-store.js';

/** Processes one leased image: download, make web-ready, store, record. Only a database failure throws. */
@Injectable()
export class ImageProcessor {
  private readonly logger = new Logger(ImageProcessor.name);
  /** Storage failures in a row, whichever the image: the wait of images held back by an outage grows with it. */
  private storageFailures = 0;

  constructor(
    private readonly http: SafeHttpClient,
    private readonly pipeline: ImagePipeline,
    private readonly storage: Storage,
    private readonly storageHealth: StorageHealth,
    private readonly images: ImagesService,
    private readonly leases: LeaseStore,
    private readonly tasks: TasksService,
    private readonly outbox: WebhookOutbox,
    private readonly unitOfWork: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Download, pipeline and storage failures are the image's outcome (or, for storage, a wait); a failure
   * to record the outcome is not: it propagates, the lease runs out and the image is taken again.
   */
  async process(image: ClaimedImage): Promise<void> {
    let inputBytes: number | null = null;
    let stored: { outputKey: string; thumbnailKey: string; outputBytes: number };
    try {
      const download = await this.metrics.timed('download', () => this.http.download(image.inputUrl));
      inputBytes = download.body.length;
      const jpeg = await this.metrics.timed('process', () => this.pipeline.toWebJpeg(download.body));
      const outputKey = outputKeyOf(image.id);
      const thumbnailKey = thumbnailKeyOf(image.id);
      await this.metrics.timed('store', () =>
        Promise.all([this.storage.put(outputKey, jpeg.data), this.storage.put(thumbnailKey, jpeg.thumbnail)]),
      );
      this.storageFailures = 0;
      this.storageHealth.reportSuccess();
      stored = { outputKey, thumbnailKey, outputBytes: jpeg.data.length };
    } catch (error) {
      if (error instanceof StorageUnavailableError) return this.waitForStorage(image, error);
      return this.fail(image, classifyFailure(error), inputBytes);
    }
    const recorded = await this.record(
      image,
      (tx) => this.images.markDone(tx, image, { ...stored, inputBytes: inputBytes! }),
      false,
      { input: inputBytes!, output: stored.outputBytes },
    );
    if (recorded) this.metrics.imageDone(inputBytes!, stored.outputBytes);
  }

  /** Retries a transient failure later (DOWNLOAD_RETRIES), or records the image failed. */
  private async fail(
    image: ClaimedImage,
    failure: ClassifiedFailure,
    inputBytes: number | null,
  ): Promise<void> {
    const context = `request ${image.taskId} image ${image.id} (${image.inputUrl}) attempt ${image.attempts}${failure.detail ? ` [${failure.detail}]` : ''}`;
    if (failure.retryable && image.attempts <= this.config.downloadRetries) {
      const delay = Math.max(
        downloadRetryDelay(image.attempts, Math.random, this.config.downloadRetryBaseMs),
        failure.retryAfterMs ?? 0,
      );
      this.logger.warn(`${context}: ${failure.code} (${failure.message}); retrying in ${delay} ms`);
      await this.unitOfWork.run((tx) => this.leases.retryLater(tx, image.id, delay, failure));
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
    if (recorded) await this.removeOutput(image);
  }

  /** Storage is down: the image is queued again, later, and the attempt is not counted (it was not the image's fault). */
  private async waitForStorage(image: ClaimedImage, error: StorageUnavailableError): Promise<void> {
    this.storageFailures++;
    this.storageHealth.reportFailure(error);
    const delay = storageRetryDelay(
      this.storageFailures,
      this.config.storageRetryBaseMs,
      this.config.storageRetryMaxMs,
    );
    this.logger.warn(
      `request ${image.taskId} image ${image.id}: ${error.message}; queued again in ${delay} ms`,
    );
    const failure = { code: 'storage_unavailable', message: error.message };
    await this.unitOfWork.run((tx) =>
      this.leases.retryLater(tx, image.id, delay, failure, { countAttempt: false }),
    );
  }

  private async removeOutput(image: ClaimedImage): Promise<void> {
    try {
      await Promise.all([
        this.storage.remove(outputKeyOf(image.id)),
        this.storage.remove(thumbnailKeyOf(image.id)),
      ]);
    } catch (error) {
      this.logger.warn(
        `request ${image.taskId} image ${image.id}: ${(error as Error).message} (an orphan may remain)`,
      );
    }
  }

  /**
   * Records the outcome, counts it and, when it was the request's last image, completes the request and
   * writes its webhook message: one transaction. The completion is announced after the commit. Returns
   * false when the lease was lost (another worker owns the image), so nothing was recorded.
   */
  private async record(
    image: ClaimedImage,
    mark: (tx: Transaction) => Promise<number>,
    failed: boolean,
    bytes?: { input: number; output: number },
  ): Promise<boolean> {
    let completed: RequestCompletedEvent | undefined;
    const recorded = await this.unitOfWork.run(async (tx) => {
      const count = await mark(tx);
      if (count === 0) return false;
      const finished = await this.tasks.recordImageOutcome(tx, image.taskId, { failed, count, bytes });
      if (!finished) return true;
      completed = {
        requestId: finished.id,
        status: finished.status,
        totalImages: finished.totalImages,
        processedImages: finished.processedImages,
        failedImages: finished.failedImages,
        webhookUrl: finished.webhookUrl,
        completedAt: finished.completedAt!,
      };
      if (finished.webhookUrl) await this.outbox.add(tx, finished.webhookUrl, completed);
      return true;
    });
    if (completed) {
      this.logger.log(
        `request ${completed.requestId}: ${completed.status} (${completed.processedImages - completed.failedImages} done, ${completed.failedImages} failed)`,
      );
      this.events.emit(DomainEvent.RequestCompleted, completed);
    }
    return recorded;
  }
}
