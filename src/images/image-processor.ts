import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { type DownloadResult, type NotModified, SafeHttpClient } from '../http/safe-http-client.js';
import { StorageUnavailableError } from '../storage/storage-unavailable.error.js';
import { Metrics } from '../metrics/metrics.js';
import { StorageHealth } from '../storage/storage-health.js';
import { Storage } from '../storage/storage.js';
import { type ClassifiedFailure, classifyFailure, downloadRetryDelay } from './image-failure.js';
import { ImageAdmission } from './image-admission.js';
import {
  type FailedOutcome,
  type ImageOutcome,
  imageResult,
  type ImageResult,
  type SourceVersion,
} from './outcomes/image-outcome.js';
import { OutcomeRecorder } from './outcomes/outcome-recorder.js';
import { outputKeyOf, renditionKeyOf } from './output-key.js';
import { RenditionOutputs } from './renditions/rendition-outputs.js';
import { SourceReuse } from './reuse/source-reuse.js';
import { type ClaimedImage, ImageQueue, type WorkerSlot } from './queue/image-queue.js';

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
    private readonly reuse: SourceReuse,
  ) {}

  /** A claim's images, leased: their reuse plans are begun together (SourceReuse.prepare). */
  prepare(images: readonly ClaimedImage[]): void {
    this.reuse.prepare(images.filter((image) => !this.crashedTooOften(image)));
  }

  /**
   * Download, pipeline and storage failures are the image's outcome (or, for storage, a wait); a failure
   * to read or record in the database is not: it propagates, the lease runs out and the image is taken
   * again. An image may instead reuse an earlier output of its owner's (SourceReuse); `fresh`: it may
   * not (the output it was to reuse lost its last image meanwhile). Its slot is released once only the
   * recording remains (see WorkerSlot).
   */
  async process(image: ClaimedImage, slot: WorkerSlot, fresh = false): Promise<void> {
    const outcome = await this.work(image, fresh);
    if (!outcome) return; // given back to the queue: retried later, or waiting for storage
    slot.release();
    if (outcome.kind === 'failed') return this.recordFailure(outcome);
    const recorded = await this.recorder.record(outcome);
    if (recorded === 'output_gone') {
      // Rare: the output it reused lost its last image meanwhile. Made again, in a slot.
      await slot.retake();
      return this.process(image, slot, true);
    }
    if (!recorded) return;
    const stored = outcome.kind === 'reused' ? 0 : outcome.result.outputBytes;
    this.metrics.imageDone(outcome.result.inputBytes, stored);
    if (outcome.kind !== 'reused') return;
    this.metrics.imageReused(outcome.how);
    // An earlier attempt may have stored outputs under this image's id without being recorded (its
    // recording failed, its process was killed): now that it names another image's output, none does.
    if (image.attempts > 1) await this.removeOutput(image);
  }

  private crashedTooOften(image: ClaimedImage): boolean {
    return image.leaseExpiries > this.config.workers.maxLeaseExpiries;
  }

  /**
   * The image's work: download, then reuse or make and store. Returns the outcome to record, or
   * undefined when the image went back to the queue. The downloaded bytes live only until it returns,
   * never while the outcome waits for its recording.
   */
  private async work(image: ClaimedImage, fresh: boolean): Promise<ImageOutcome | undefined> {
    if (this.crashedTooOften(image)) return this.failure(image, workerCrashed(image), null);
    const plan = await this.reuse.plan(image, fresh);
    let download: DownloadResult | NotModified;
    try {
      download = await this.metrics.timed('download', () => this.http.download(image.inputUrl, plan.known));
    } catch (error) {
      return this.failure(image, classifyFailure(error), null);
    }
    if (download.notModified) return this.reuse.revalidated(image, plan, download);
    const { source, reused } = await this.reuse.downloaded(image, plan, download);
    return reused ?? (await this.make(image, download.body, source));
  }

  /** Makes and stores the image's outputs: its outcome, or undefined when it went back to the queue. */
  private async make(
    image: ClaimedImage,
    input: Buffer,
    source: SourceVersion,
  ): Promise<ImageOutcome | undefined> {
    try {
      const { renditions } = image.outputOptions;
      const stored = renditions
        ? await this.renditionOutputs.make(image, { ...image.outputOptions, renditions }, input)
        : await this.singleOutput(image, input);
      this.storageHealth.reportSuccess();
      return { kind: 'done', image, result: imageResult(stored, input.length), source };
    } catch (error) {
      if (!(error instanceof StorageUnavailableError))
        return this.failure(image, classifyFailure(error), input.length);
      await this.waitForStorage(image, error);
      return undefined;
    }
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

  /**
   * A transient failure is retried later (DOWNLOAD_RETRIES): undefined. Otherwise the image failed: the
   * outcome to record.
   */
  private async failure(
    image: ClaimedImage,
    failure: ClassifiedFailure,
    inputBytes: number | null,
  ): Promise<FailedOutcome | undefined> {
    const context = `request ${image.taskId} image ${image.id} (${loggableUrl(image.inputUrl)}) attempt ${image.attempts}${failure.detail ? ` [${failure.detail}]` : ''}`;
    if (failure.retryable && image.attempts <= this.config.downloads.retries) {
      const delay = Math.max(
        downloadRetryDelay(image.attempts, Math.random, this.config.downloads.retryBaseMs),
        failure.retryAfterMs ?? 0,
      );
      this.logger.warn(`${context}: ${failure.code} (${failure.message}); retrying in ${delay} ms`);
      await this.queue.retryLater(image, delay, failure);
      return undefined;
    }
    this.logger.warn(`${context}: failed with ${failure.code} (${failure.message})`);
    return { kind: 'failed', image, failure, inputBytes };
  }

  private async recordFailure(outcome: FailedOutcome): Promise<void> {
    const { image, failure, inputBytes } = outcome;
    if (!(await this.recorder.record(outcome))) return;
    this.metrics.imageFailed(failure.code, inputBytes);
    // A run killed between storing this image's output and recording it may have left the file. Only
    // keys named after this image's id: an output it reused is another image's, never removed here.
    await this.removeOutput(image);
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
