import type { Owner } from '../access/owner.js';
import { Injectable, Logger } from '@nestjs/common';
import { ConflictError } from '../common/errors/conflict.error.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { TaskRowsRemoval } from '../images/task-rows-removal.js';
import { TasksService } from '../tasks/tasks.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';

/**
 * Deletes finished requests: in one transaction their task rows and webhook messages (the request is
 * gone for clients at once) with a mark that their products and images are to go; then TaskRowsRemoval
 * removes those rows a slice per transaction, each slice's outputs once it has committed, and the mark.
 * A crash part-way leaves the mark, and the removal is finished at the next start.
 */
@Injectable()
export class RequestDeletion {
  private readonly logger = new Logger(RequestDeletion.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly outbox: WebhookOutbox,
    private readonly unitOfWork: UnitOfWork,
    private readonly rowsRemoval: TaskRowsRemoval,
  ) {}

  /** DELETE /requests/:id: 404 when unknown, 409 while it is processing. */
  async delete(requestId: string, owner: Owner): Promise<void> {
    const task = await this.tasks.getOrFail(requestId, owner);
    if (task.status !== 'processing' && (await this.deleteFinished([requestId])) === 1) return;
    // Processing, or it changed meanwhile: reopened by a retry (409) or deleted by another call (404).
    await this.tasks.getOrFail(requestId, owner);
    throw new ConflictError(`request ${requestId} is still processing; delete it once it has finished`);
  }

  /**
   * Deletes those of the requests that are finished, in one transaction, then their outputs; returns how
   * many were deleted (a request that went back to processing, or is gone already, is skipped).
   */
  async deleteFinished(requestIds: string[]): Promise<number> {
    const deleted = await this.unitOfWork.run(async (tx) => {
      const deleted: string[] = [];
      for (const requestId of requestIds) {
        if (!(await this.tasks.deleteFinished(tx, requestId))) continue;
        await this.outbox.deleteForTask(tx, requestId);
        await this.rowsRemoval.mark(tx, requestId);
        deleted.push(requestId);
      }
      return deleted;
    });
    let outputs = 0;
    for (const requestId of deleted) {
      try {
        outputs += (await this.rowsRemoval.remove(requestId)).outputs;
      } catch (error) {
        // The request is gone already; its rows keep their mark and go at the next start.
        this.logger.warn(`request ${requestId}: rows left for the next start: ${(error as Error).message}`);
      }
    }
    if (deleted.length > 0)
      this.logger.log(`deleted ${deleted.length} request(s) and ${outputs} output(s): ${deleted.join(', ')}`);
    return deleted.length;
  }
}
