import type { Owner } from '../access/owner.js';
import { ConflictException, Injectable, Logger } from '@nestjs/common';
import { UnitOfWork } from '../database/unit-of-work.js';
import { ImagesService } from '../images/images.service.js';
import { Storage } from '../storage/storage.js';
import { TasksService } from '../tasks/tasks.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';

/** Output removals in flight at once: enough to overlap S3 round trips, few enough not to crowd the workers. */
const REMOVALS_AT_ONCE = 16;

/**
 * Deletes finished requests: their rows (task, products, images, webhook messages) in one transaction,
 * then, once that has committed, their output files or objects through the Storage port. A crash between
 * the two leaves orphan outputs that no row names (they are logged when a removal fails), never a row
 * that points at a removed output.
 */
@Injectable()
export class RequestDeletion {
  private readonly logger = new Logger(RequestDeletion.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly images: ImagesService,
    private readonly outbox: WebhookOutbox,
    private readonly unitOfWork: UnitOfWork,
    private readonly storage: Storage,
  ) {}

  /** DELETE /requests/:id: 404 when unknown, 409 while it is processing. */
  async delete(requestId: string, owner: Owner): Promise<void> {
    const task = await this.tasks.getOrFail(requestId, owner);
    if (task.status !== 'processing' && (await this.deleteFinished([requestId])) === 1) return;
    // Processing, or it changed meanwhile: reopened by a retry (409) or deleted by another call (404).
    await this.tasks.getOrFail(requestId, owner);
    throw new ConflictException(`request ${requestId} is still processing; delete it once it has finished`);
  }

  /**
   * Deletes those of the requests that are finished, in one transaction, then their outputs; returns how
   * many were deleted (a request that went back to processing, or is gone already, is skipped).
   */
  async deleteFinished(requestIds: string[]): Promise<number> {
    const deleted: string[] = [];
    const keys = await this.unitOfWork.run(async (tx) => {
      const outputKeys: string[] = [];
      for (const requestId of requestIds) {
        if (!(await this.tasks.deleteFinished(tx, requestId))) continue;
        outputKeys.push(...(await this.images.deleteForTask(tx, requestId)));
        await this.outbox.deleteForTask(tx, requestId);
        deleted.push(requestId);
      }
      return outputKeys;
    });
    await this.removeOutputs(keys);
    if (deleted.length > 0)
      this.logger.log(
        `deleted ${deleted.length} request(s) and ${keys.length} output(s): ${deleted.join(', ')}`,
      );
    return deleted.length;
  }

  /** Removes outputs no row names any more, a batch at a time; a failure leaves an orphan, and says so. */
  private async removeOutputs(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += REMOVALS_AT_ONCE) {
      await Promise.all(
        keys
          .slice(start, start + REMOVALS_AT_ONCE)
          .map((key) =>
            this.storage
              .remove(key)
              .catch((error: Error) =>
                this.logger.warn(`orphan output ${key} left in storage: ${error.message}`),
              ),
          ),
      );
    }
  }
}
