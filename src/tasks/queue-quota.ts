import { Injectable } from '@nestjs/common';
import type { Owner } from '../access/owner.js';
import { AppConfig } from '../config/app-config.js';
import { execute } from '../database/sql.js';
import type { Transaction } from '../database/unit-of-work.js';
import { QueueFullError } from './queue-full.error.js';
import { TasksService } from './tasks.service.js';

/** The first key of this quota's PostgreSQL advisory locks (the second is a hash of the owner). */
const OWNER_LOCK_SPACE = 0x5155; // "QU"

/**
 * MAX_QUEUED_IMAGES_PER_KEY: one client cannot fill the queue, by uploading or by retrying failed images.
 * Checked inside the transaction that queues the images, so a refusal leaves nothing behind.
 */
@Injectable()
export class QueueQuota {
  constructor(
    private readonly tasks: TasksService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Throws QueueFullError when the owner's unfinished images plus `newImages` pass the limit. The caller
   * must then write the images (and their request's counters) in the same transaction: on PostgreSQL, the
   * owner's transactions that reach this point wait for each other until commit (an advisory lock), so
   * concurrent uploads cannot all pass a check made before any of them committed. (SQLite runs one
   * transaction at a time already: see UnitOfWork.)
   */
  async reserve(tx: Transaction, owner: Owner, newImages: number): Promise<void> {
    const limit = this.config.access.maxQueuedImagesPerKey;
    if (limit === 0) return;
    if (this.config.database.isPostgres)
      await execute(tx.manager, 'SELECT pg_advisory_xact_lock(?, hashtext(?))', [OWNER_LOCK_SPACE, owner]);
    const unfinished = await this.tasks.unfinishedImages(tx, owner);
    if (unfinished + newImages > limit) throw new QueueFullError(unfinished, newImages, limit);
  }
}
