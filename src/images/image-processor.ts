import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { SafeHttpClient } from '../http/safe-http-client.js';
import { StorageUnavailableError } from '../storage/storage-unavailable.error.js';
import { Metrics } from '../metrics/metrics.js';
import { StorageHealth } from '../storage/storage-health.js';
import { Storage } from '../storage/storage.js';
import { type ClassifiedFailure, classifyFailure, downloadRetryDelay } from './image-failure.js';
import { ImageAdmission } from './image-admission.js';
import type { ImageResult } from './outcomes/image-outcome.js';
import { OutcomeRecorder } from './outcomes/outcome-recorder.js';
import { outputKeyOf, renditionKeyOf } from './output-key.js';
import { RenditionOutputs } from './renditions/rendition-outputs.js';
import { type ClaimedImage, ImageQueue } from './queue/image-queue.js';

/**
 * The image killed the worker that took it (a libvips abort, an out-of-memory kill…) more than
 * MAX_LEASE_EXPIRIES times: it fails for good rather than take down every worker that claims it.
 */
const workerCrashed = (image: ClaimedImage): ClassifiedFailure => ({
  code: 'worker_crashed',
  message: `the worker processing this image stopped without finishing it ${image.leaseExpiries} times (MAX_LEASE_EXPIRIES); it is not tried again`,
  retryable: false,
});

/** A URL for log lines: origin and path only (a query string may carry a supplier's token). */
function loggableUrl(url: string): string {
  try {
    const { origin, pathname } = new URL(url);
    return `${origin}${pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** Processes one leased image: download, make web-ready, store, record. Only a database failure throws. */
@Injectable()
export class ImageProcessor {
  private readonly logger = new Logger(ImageProcessor.name);

  constructor(
    private readonly http: SafeHttpClient,
    private readonly admission: ImageAdmission,
    private readonly storage: Storage,
    private readonly storageHealth: StorageHealth,
    private readonly recorder: OutcomeRecorder,
    private readonly queue: ImageQueue,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly renditionOutputs: RenditionOutputs,
  ) {}

  /**
   * Download, pipeline and storage failures are the image's outcome (or, for storage, a wait); a failure
   * to record the outcome is not: it propagates, the lease runs out and the image is taken again.
   */
  async process(image: ClaimedImage): Promise<void> {
    if (image.leaseExpiries > this.config.workers.maxLeaseExpiries)
      return this.fail(image, workerCrashed(image), null);
    let inputBytes: number | null = null;
    let stored: Omit<ImageResult, 'inputBytes'>;
    try {
      const download = await this.metrics.timed('download', () => this.http.download(image.inputUrl));
      inputBytes = download.body.length;
      const { renditions } = image.outputOptions;
      stored = renditions
        ? await this.renditionOutputs.make(image, { ...image.outputOptions, renditions }, download.body)
        : await this.singleOutput(image, download.body);
      this.storageHealth.reportSuccess();
    } catch (error) {
      if (error instanceof StorageUnavailableError) return this.waitForStorage(image, error);
      return this.fail(image, classifyFailure(error), inputBytes);
    }
    const result = { ...stored, inputBytes: inputBytes! };
    const recorded = await this.recorder.record({ kind: 'done', image, result });
    if (recorded) this.metrics.imageDone(inputBytes!, stored.outputBytes);
  }

  /** The request's one output (no renditions). */
  private async singleOutput(image: ClaimedImage, input: Buffer): Promise<Omit<ImageResult, 'inputBytes'>> {
    const output = await this.metrics.timed('process', () =>
      this.admission.encode(input, image.outputOptions),
    );
    const outputKey = outputKeyOf(image.id, output.format);
    // The output and nothing else: its preview is made when first asked for (PreviewMaker).
    await this.metrics.timed('store', () => this.storage.put(outputKey, output.data));
    return {
      outputKey,
      outputBytes: output.data.length,
      outputQuality: output.quality,
      outputScore: output.score,
    };
  }

  /** Retries a transient failure later (DOWNLOAD_RETRIES), or records the image failed. */
  private async fail(
    image: ClaimedImage,
    failure: ClassifiedFailure,
    inputBytes: number | null,
  ): Promise<void> {
    const context = `request ${image.taskId} image ${image.id} (${loggableUrl(image.inputUrl)}) attempt ${image.attempts}${failure.detail ? ` [${failure.detail}]` : ''}`;
    if (failure.retryable && image.attempts <= this.config.downloads.retries) {
      const delay = Math.max(
        downloadRetryDelay(image.attempts, Math.random, this.config.downloads.retryBaseMs),
        failure.retryAfterMs ?? 0,
      );
      this.logger.warn(`${context}: ${failure.code} (${failure.message}); retrying in ${delay} ms`);
      await this.queue.retryLater(image, delay, failure);
      return;
    }
    this.logger.warn(`${context}: failed with ${failure.code} (${failure.message})`);
    const recorded = await this.recorder.record({ kind: 'failed', image, failure, inputBytes });
    // A run killed between storing this image's output and recording it may have left the file.
    if (recorded) this.metrics.imageFailed(failure.code, inputBytes);
    if (recorded) await this.removeOutput(image);
  }

  /**
   * Storage is down: the image is queued again, and the attempt is not counted (it was not the image's
   * fault). The queue stops claiming until StorageHealth finds the store writable again, so no image is
   * downloaded meanwhile only to wait.
   */
  private async waitForStorage(image: ClaimedImage, error: StorageUnavailableError): Promise<void> {
    this.storageHealth.reportFailure(error);
    this.logger.warn(
      `request ${image.taskId} image ${image.id}: ${error.message}; queued again, claiming paused until storage is writable`,
    );
    const failure = { code: 'storage_unavailable', message: error.message };
    await this.queue.retryLater(image, 0, failure, { countAttempt: false });
  }

  private async removeOutput(image: ClaimedImage): Promise<void> {
    const { format, renditions } = image.outputOptions;
    const keys = renditions
      ? renditions.map((rendition) => renditionKeyOf(image.id, rendition))
      : [outputKeyOf(image.id, format)];
    try {
      await Promise.all(keys.map((key) => this.storage.remove(key)));
    } catch (error) {
      this.logger.warn(
        `request ${image.taskId} image ${image.id}: ${(error as Error).message} (an orphan may remain)`,
      );
    }
  }
}
