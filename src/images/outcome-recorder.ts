import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent, DomainEvents, type RequestCompletedEvent } from '../events.js';
import { LogContext } from '../logging/log-context.js';
import { TasksService } from '../tasks/tasks.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { type ImageFailure, type ImageResult, ImagesService } from './images.service.js';
import type { ClaimedImage } from './queue/lease-store.js';

/** How a leased image ended. */
export type ImageOutcome =
  | { kind: 'done'; image: ClaimedImage; result: ImageResult }
  | { kind: 'failed'; image: ClaimedImage; failure: ImageFailure; inputBytes: number | null };

interface Pending {
  outcome: ImageOutcome;
  resolve(recorded: boolean): void;
  reject(error: unknown): void;
}

/**
 * Records finished images in batches. The outcomes that arrive within RECORD_BATCH_MS of the first one
 * (or while the previous batch is being written) share one transaction: one UPDATE for the successes,
 * one for their duplicates, each failure on its own, and per request one counter UPDATE and the
 * conditional completion (with its webhook message). The guarantees are those of one image per
 * transaction: an image is recorded only while its lease is ours (the UPDATE's condition), and a batch
 * commits or rolls back whole; a batch that fails rejects every caller, whose leases then run out, so
 * their images are taken again.
 */
@Injectable()
export class OutcomeRecorder {
  private readonly logger = new Logger(OutcomeRecorder.name);
  private pending: Pending[] = [];
  /** The batch being written, if any: one at a time, the next one gathers meanwhile. */
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;

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

  private schedule(): void {
    if (this.writing) return; // the batch being written takes the next one when it ends
    // Every image in flight is waiting to be recorded: waiting longer gains nothing.
    if (this.pending.length >= this.config.concurrency || this.config.recordBatchMs === 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.config.recordBatchMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      // Outcomes that arrived meanwhile have waited long enough.
      if (this.pending.length > 0) this.flush();
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    const completions: RequestCompletedEvent[] = [];
    let recorded: Set<string>;
    try {
      recorded = await this.unitOfWork.run(async (tx) => {
        const done = batch.flatMap(({ outcome }) => (outcome.kind === 'done' ? [outcome] : []));
        const successes = await this.images.markDone(tx, done);
        const finishedByTask = successes.finishedByTask;
        const failedByTask = new Map<string, number>();
        for (const { outcome } of batch) {
          if (outcome.kind !== 'failed') continue;
          const { image } = outcome;
          const count = await this.images.markFailed(tx, image, outcome.failure, outcome.inputBytes);
          if (count === 0) continue;
          successes.recorded.add(image.id);
          const finished = finishedByTask.get(image.taskId) ?? { images: 0, inputBytes: 0, outputBytes: 0 };
          finishedByTask.set(image.taskId, { ...finished, images: finished.images + count });
          failedByTask.set(image.taskId, (failedByTask.get(image.taskId) ?? 0) + count);
        }
        // Requests in one order in every process: two batches never wait on each other's counters.
        for (const taskId of [...finishedByTask.keys()].sort()) {
          const { images, inputBytes, outputBytes } = finishedByTask.get(taskId)!;
          const finished = await this.tasks.recordImageOutcome(tx, taskId, {
            processed: images,
            failed: failedByTask.get(taskId) ?? 0,
            inputBytes,
            outputBytes,
          });
          if (!finished) continue;
          const completed: RequestCompletedEvent = {
            requestId: finished.id,
            status: finished.status,
            totalImages: finished.totalImages,
            processedImages: finished.processedImages,
            failedImages: finished.failedImages,
            webhookUrl: finished.webhookUrl,
            completedAt: finished.completedAt!,
          };
          if (finished.webhookUrl) await this.outbox.add(tx, finished.webhookUrl, completed);
          completions.push(completed);
        }
        return successes.recorded;
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    // A batch runs in the logging context of the image that opened it: each completion gets its own.
    for (const completed of completions)
      LogContext.run({ request_id: completed.requestId }, () => {
        this.logger.log(
          `request ${completed.requestId}: ${completed.status} (${completed.processedImages - completed.failedImages} done, ${completed.failedImages} failed)`,
        );
        this.events.emit(DomainEvent.RequestCompleted, completed);
      });
    for (const pending of batch) pending.resolve(recorded.has(pending.outcome.image.id));
  }
}
