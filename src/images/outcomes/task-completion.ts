import { Injectable, Logger } from '@nestjs/common';
import type { Transaction } from '../../database/unit-of-work.js';
import { DomainEvent, DomainEvents, type RequestCompletedEvent } from '../../events.js';
import { LogContext } from '../../logging/log-context.js';
import { type ImageOutcomeCounts, TasksService } from '../../tasks/tasks.service.js';
import { WebhookOutbox } from '../../webhooks/webhook-outbox.js';
import type { FinishedImage } from './image-outcome.js';

/**
 * Counts finished images on their tasks and detects the tasks they complete: in the batch's transaction
 * one counter UPDATE per task whose condition decides completion exactly once, and for each completed
 * task with a webhook its outbox row (an explicit call, same transaction). After the commit, `announce`
 * logs each completion and emits RequestCompleted.
 */
@Injectable()
export class TaskCompletion {
  private readonly logger = new Logger(TaskCompletion.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly outbox: WebhookOutbox,
    private readonly events: DomainEvents,
  ) {}

  /**
   * `finished`: images a worker finished (out of the queue's in-flight counters too); `duplicates`: their
   * duplicates (never counted in flight). Returns the completions to announce once committed.
   */
  async count(
    tx: Transaction,
    finished: FinishedImage[],
    duplicates: FinishedImage[],
  ): Promise<RequestCompletedEvent[]> {
    const byTask = tally([...finished, ...duplicates]);
    const outOfFlight = finished.map((image) => image.taskId);
    const completions: RequestCompletedEvent[] = [];
    for (const task of await this.tasks.recordImageOutcomes(tx, byTask, outOfFlight)) {
      const completed: RequestCompletedEvent = {
        requestId: task.id,
        status: task.status,
        totalImages: task.totalImages,
        processedImages: task.processedImages,
        failedImages: task.failedImages,
        reusedImages: task.reusedImages,
        webhookUrl: task.webhookUrl,
        completedAt: task.completedAt!,
        ...(task.outputOptions.renditions && { renditions: task.outputOptions.renditions }),
      };
      if (task.webhookUrl) await this.outbox.add(tx, { url: task.webhookUrl, owner: task.owner }, completed);
      completions.push(completed);
    }
    return completions;
  }

  /** After the commit. A batch runs in the logging context of the image that opened it: each completion gets its own. */
  announce(completions: RequestCompletedEvent[]): void {
    for (const completed of completions)
      LogContext.run({ request_id: completed.requestId }, () => {
        this.logger.log(
          `request ${completed.requestId}: ${completed.status} (${completed.processedImages - completed.failedImages} done, ${completed.failedImages} failed)`,
        );
        this.events.emit(DomainEvent.RequestCompleted, completed);
      });
  }
}

/**
 * Per task: how many images finished, how many of them failed, the bytes in and out of the done ones,
 * and how many of those reused an earlier output.
 */
function tally(images: FinishedImage[]): Map<string, Required<ImageOutcomeCounts>> {
  const byTask = new Map<string, Required<ImageOutcomeCounts>>();
  for (const image of images) {
    const counts = byTask.get(image.taskId) ?? {
      processed: 0,
      failed: 0,
      inputBytes: 0,
      outputBytes: 0,
      reused: 0,
    };
    counts.processed++;
    if (image.status === 'failed') counts.failed++;
    else {
      counts.inputBytes += Number(image.inputBytes);
      counts.outputBytes += Number(image.outputBytes);
      if (image.reused) counts.reused++;
    }
    byTask.set(image.taskId, counts);
  }
  return byTask;
}
