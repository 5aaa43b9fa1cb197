import type { Owner } from '../access/owner.js';
import { Injectable, Logger } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { ConflictError } from '../common/errors/conflict.error.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent, DomainEvents } from '../events.js';
import { QueueCounters } from '../tasks/queue-counters.js';
import { QueueQuota } from '../tasks/queue-quota.js';
import { TasksService } from '../tasks/tasks.service.js';
import { RetryAcceptedDto } from './dto/retry-accepted.dto.js';
import { Image, NEVER } from './image.entity.js';

/**
 * POST /requests/:id/retry: queues a request's failed images again, within the caller's queue quota; the
 * request completes (and notifies) again.
 */
@Injectable()
export class FailedImageRetry {
  private readonly logger = new Logger(FailedImageRetry.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly quota: QueueQuota,
    private readonly unitOfWork: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly queueCounters: QueueCounters,
  ) {}

  async retry(requestId: string, owner: Owner): Promise<RetryAcceptedDto> {
    const before = await this.tasks.getOrFail(requestId, owner);
    const requeued = await this.unitOfWork.run(async (tx) => {
      const { requeued: count, claimable } = await this.requeueFailed(tx, requestId);
      if (count === 0) return 0;
      // MAX_QUEUED_IMAGES_PER_KEY holds for retried images as for uploaded ones (a refusal rolls back).
      await this.quota.reserve(tx, owner, count);
      await this.tasks.reopen(tx, requestId, count);
      // The request keeps its queue owner; one that finished before the queue's summary existed gets its owner.
      const queued = {
        id: requestId,
        queueOwner: owner,
        createdAt: before.createdAt,
        outputOptions: before.outputOptions,
      };
      await this.queueCounters.queued(tx, queued, claimable);
      return count;
    });
    if (requeued === 0) throw new ConflictError(`request ${requestId} has no failed images to retry`);
    this.logger.log(`request ${requestId}: ${requeued} failed image(s) queued again`);
    this.events.emit(DomainEvent.RequestRequeued, { requestId, requeuedImages: requeued });
    const task = await this.tasks.getOrFail(requestId, owner);
    return {
      request_id: requestId,
      status: task.status,
      requeued_images: requeued,
      progress: `${task.processedImages}/${task.totalImages}`,
    };
  }

  /** Queues a task's failed images again; returns how many, and how many of them a worker will process (not duplicates). */
  private async requeueFailed(
    tx: Transaction,
    taskId: string,
  ): Promise<{ requeued: number; claimable: number }> {
    const reset = {
      status: 'queued' as const,
      attempts: 0,
      leaseExpiries: 0,
      errorCode: null,
      errorMessage: null,
      inputBytes: null,
    };
    const originals = await tx.manager.update(
      Image,
      { taskId, status: 'failed', duplicateOf: IsNull() },
      { ...reset, availableAt: Date.now() },
    );
    const duplicates = await tx.manager.update(
      Image,
      { taskId, status: 'failed', duplicateOf: Not(IsNull()) },
      { ...reset, availableAt: NEVER },
    );
    const claimable = originals.affected ?? 0;
    return { requeued: claimable + (duplicates.affected ?? 0), claimable };
  }
}
