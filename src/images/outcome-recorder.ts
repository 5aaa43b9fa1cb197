import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent, DomainEvents, type RequestCompletedEvent } from '../events.js';
import { LogContext } from '../logging/log-context.js';
import { type ImageOutcomeCounts, TasksService } from '../tasks/tasks.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { type FinishedImage, type ImageFailure, type ImageResult, ImagesService } from './images.service.js';
import type { ClaimedImage } from './queue/lease-store.js';

/** How a leased image ended. */
export type ImageOutcome =
  | { kind: 'done'; image: ClaimedImage; result: ImageResult }
  | { kind: 'failed'; image: ClaimedImage; failure: ImageFailure; inputBytes: number | null };

/**
 * Duplicates given their original's outcome per transaction: a URL repeated 20,000 times in a request
 * is that many rows to update when its image finishes (~30 µs each on SQLite), done in slices of about
 * 15 ms with the event loop free in between.
 */
const DUPLICATES_PER_SLICE = 500;

/** Finished images whose duplicates one slice takes (the others wait for the next slices). */
const ORIGINALS_PER_SLICE = 100;

/** Back-off after a batch failed to be written (the database down, or the disk full): no busy loop. */
const RETRY_AFTER_FAILURE_MS = 1_000;

interface Pending {
  outcome: ImageOutcome;
  resolve(recorded: boolean): void;
  reject(error: unknown): void;
}

/**
 * Records finished images in batches. The outcomes that arrive within RECORD_BATCH_MS of the first one
 * (or while the previous batch is being written) share one transaction: one UPDATE for the successes,
 * each failure on its own, one UPDATE for up to DUPLICATES_PER_SLICE of their duplicates (and of those
 * of earlier images still waiting: the rest follow in the next transactions), and per request one
 * counter UPDATE and the conditional completion (with its webhook message). The guarantees are those of one image per
 * transaction: an image is recorded only while its lease is ours (the UPDATE's condition), and a batch
 * commits or rolls back whole; a batch that fails rejects every caller, whose leases then run out, so
 * their images are taken again.
 */
@Injectable()
export class OutcomeRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutcomeRecorder.name);
  private pending: Pending[] = [];
  /** The batch being written, if any: one at a time, the next one gathers meanwhile. */
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  /** Finished images some of whose duplicates may still wait for their outcome. */
  private fanningOut = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;
  /** The last sweep found as many images as it takes: once these are done, there may be more. */
  private sweepFull = false;
  private stopped = false;

  constructor(
    private readonly images: ImagesService,
    private readonly tasks: TasksService,
    private readonly outbox: WebhookOutbox,
    private readonly unitOfWork: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
  ) {}

  /**
   * Records the outcome once its batch has committed; false when the lease was lost (another worker owns
   * the image), so nothing was recorded. Rejects only when the database failed.
   */
  record(outcome: ImageOutcome): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ outcome, resolve, reject });
      this.schedule();
    });
  }

  /**
   * At start: the duplicates that a stopped process left waiting for an image it had finished (killed
   * between two slices of their fan-out) are given its outcome, a slice at a time like the others.
   * On PostgreSQL every LEASE_MS too, for a neighbour that stopped for good.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.resumeFanOut();
    if (!this.config.database.isPostgres) return;
    this.sweepTimer = setInterval(() => void this.resumeFanOut(), this.config.workers.leaseMs);
    this.sweepTimer.unref();
  }

  /** After the queue's shutdown (whose in-flight images were recorded): no more writes. */
  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
  }

  private async resumeFanOut(): Promise<void> {
    try {
      const originals = await this.unitOfWork.run((tx) =>
        this.images.originalsWithWaitingDuplicates(tx, ORIGINALS_PER_SLICE),
      );
      this.sweepFull = originals.length === ORIGINALS_PER_SLICE;
      if (originals.length === 0) return;
      this.logger.log(`giving ${originals.length} finished image(s) outcome to their waiting duplicates`);
      for (const id of originals) this.fanningOut.add(id);
      this.schedule();
    } catch (error) {
      this.logger.warn(`looking for waiting duplicates failed: ${(error as Error).message}`);
    }
  }

  private schedule(): void {
    if (this.writing || this.stopped) return; // the batch being written takes the next one when it ends
    // Every image in flight is waiting to be recorded: waiting longer gains nothing.
    const full =
      this.pending.length >= this.config.workers.concurrency || this.config.workers.recordBatchMs === 0;
    if (full || this.pending.length === 0) this.flushSoon();
    else this.timer ??= setTimeout(() => this.flush(), this.config.workers.recordBatchMs);
  }

  /**
   * Writes the next batch once the event loop has had its turn: on SQLite a transaction never leaves
   * the microtask queue, so batches written back to back (a fan-out's slices, outcomes arriving
   * meanwhile) would hold the event loop as long as they all last.
   */
  private flushSoon(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      if (!this.writing) this.flush();
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.write(batch)
      .catch((error: Error) => {
        this.logger.error(`recording outcomes failed: ${error.message}`);
        return false;
      })
      .then((written) => {
        this.writing = undefined;
        if (this.stopped) return;
        // Outcomes that arrived meanwhile have waited long enough; a fan-out goes on (after a pause if
        // the database just failed), and then the next sweep's, when the last one was cut at its limit.
        const more = this.pending.length > 0 || this.fanningOut.size > 0;
        if (more && !written) this.timer = setTimeout(() => this.flush(), RETRY_AFTER_FAILURE_MS);
        else if (more) this.flushSoon();
        else if (this.sweepFull) void this.resumeFanOut();
      });
  }

  /** Writes one batch and a slice of the fan-out; false when the transaction failed. */
  private async write(batch: Pending[]): Promise<boolean> {
    const completions: RequestCompletedEvent[] = [];
    let recorded: Set<string>;
    let originals: string[] = [];
    let stillWaiting: string[] = [];
    /** Images beyond this slice's ORIGINALS_PER_SLICE: their duplicates' turn comes in the next ones. */
    let later: string[] = [];
    try {
      recorded = await this.unitOfWork.run(async (tx) => {
        const done = batch.flatMap(({ outcome }) => (outcome.kind === 'done' ? [outcome] : []));
        const finished = await this.images.markDone(tx, done);
        for (const { outcome } of batch) {
          if (outcome.kind !== 'failed') continue;
          const failed = await this.images.markFailed(tx, outcome.image, outcome.failure, outcome.inputBytes);
          if (failed) finished.push(failed);
        }
        const candidates = [...new Set([...this.fanningOut, ...finished.map((image) => image.id)])];
        originals = candidates.slice(0, ORIGINALS_PER_SLICE);
        later = candidates.slice(ORIGINALS_PER_SLICE);
        const duplicates = await this.images.finishDuplicates(tx, originals, DUPLICATES_PER_SLICE);
        // Carried to the next slice: those of the images that still have duplicates waiting (checked
        // when this slice was full), so that the set holds only work left, whatever finishes meanwhile.
        stillWaiting =
          duplicates.length === DUPLICATES_PER_SLICE
            ? await this.images.withWaitingDuplicates(tx, originals)
            : [];
        const byTask = tally([...finished, ...duplicates]);
        // Out of flight too: the images this batch finished (their duplicates were never counted).
        const outOfFlight = finished.map((image) => image.taskId);
        for (const task of await this.tasks.recordImageOutcomes(tx, byTask, outOfFlight)) {
          const completed: RequestCompletedEvent = {
            requestId: task.id,
            status: task.status,
            totalImages: task.totalImages,
            processedImages: task.processedImages,
            failedImages: task.failedImages,
            webhookUrl: task.webhookUrl,
            completedAt: task.completedAt!,
          };
          if (task.webhookUrl)
            await this.outbox.add(tx, { url: task.webhookUrl, owner: task.owner }, completed);
          completions.push(completed);
        }
        return new Set(finished.map((image) => image.id));
      });
    } catch (error) {
      if (batch.length === 0)
        this.logger.error(`giving duplicates their outcome failed: ${(error as Error).message}`);
      for (const pending of batch) pending.reject(error);
      return false;
    }
    // Images whose duplicates did not all fit in this slice go on in the next transaction.
    for (const id of originals) this.fanningOut.delete(id);
    for (const id of [...stillWaiting, ...later]) this.fanningOut.add(id);
    // A batch runs in the logging context of the image that opened it: each completion gets its own.
    for (const completed of completions)
      LogContext.run({ request_id: completed.requestId }, () => {
        this.logger.log(
          `request ${completed.requestId}: ${completed.status} (${completed.processedImages - completed.failedImages} done, ${completed.failedImages} failed)`,
        );
        this.events.emit(DomainEvent.RequestCompleted, completed);
      });
    for (const pending of batch) pending.resolve(recorded.has(pending.outcome.image.id));
    return true;
  }
}

/** Per request: how many images finished, how many of them failed, and the bytes in and out of the done ones. */
function tally(images: FinishedImage[]): Map<string, Required<ImageOutcomeCounts>> {
  const byTask = new Map<string, Required<ImageOutcomeCounts>>();
  for (const image of images) {
    const counts = byTask.get(image.taskId) ?? { processed: 0, failed: 0, inputBytes: 0, outputBytes: 0 };
    counts.processed++;
    if (image.status === 'failed') counts.failed++;
    else {
      counts.inputBytes += Number(image.inputBytes);
      counts.outputBytes += Number(image.outputBytes);
    }
    byTask.set(image.taskId, counts);
  }
  return byTask;
}
