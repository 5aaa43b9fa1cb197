import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { execute, inList } from '../../database/sql.js';
import type { Transaction } from '../../database/unit-of-work.js';
import { UnitOfWork } from '../../database/unit-of-work.js';
import { Storage } from '../../storage/storage.js';

/** Storage removals in flight at once: enough to overlap S3 round trips, few enough not to crowd the workers. */
const REMOVALS_AT_ONCE = 16;

/** Keys read per page at start. */
const KEYS_PER_PAGE = 1_000;

/**
 * The storage objects no row names any more (an outbox): their keys are queued in the transaction that
 * leaves them unnamed, and removed from storage once it has committed; a key leaves the queue when its
 * object is gone. A process killed in between leaves the keys queued, and the next start removes them:
 * no object outlives its last row for good, and none is removed while a row names it.
 */
@Injectable()
export class OutputRemovals implements OnApplicationBootstrap {
  private readonly logger = new Logger(OutputRemovals.name);

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly storage: Storage,
  ) {}

  /** In the transaction that deletes the last row naming them. */
  async queue(tx: Transaction, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const now = Date.now();
    await execute(
      tx.manager,
      `INSERT INTO output_removals (storage_key, queued_at) VALUES ${keys.map(() => '(?, ?)').join(', ')}
        ON CONFLICT (storage_key) DO NOTHING`,
      keys.flatMap((key) => [key, now]),
    );
  }

  /**
   * After that transaction committed: removes the objects, a batch at a time, and their keys from the
   * queue. A removal that fails keeps its key queued for the next start, and says so; returns how many went.
   */
  async remove(keys: string[]): Promise<number> {
    let removed = 0;
    for (let start = 0; start < keys.length; start += REMOVALS_AT_ONCE) {
      const batch = keys.slice(start, start + REMOVALS_AT_ONCE);
      const results = await Promise.allSettled(batch.map((key) => this.storage.remove(key)));
      const gone = batch.filter((key, index) => {
        const result = results[index];
        if (result.status === 'fulfilled') return true;
        this.logger.warn(`output ${key} left queued for removal: ${(result.reason as Error).message}`);
        return false;
      });
      if (gone.length === 0) continue;
      await this.unitOfWork.run((tx) =>
        execute(
          tx.manager,
          `DELETE FROM output_removals WHERE storage_key IN (${inList(gone.length)})`,
          gone,
        ),
      );
      removed += gone.length;
    }
    return removed;
  }

  /**
   * At start, before HTTP: the removals a stopped process did not finish (on PostgreSQL a neighbour may
   * be removing the same keys: removing an object twice is harmless).
   */
  async onApplicationBootstrap(): Promise<void> {
    let after = '';
    let removed = 0;
    for (;;) {
      const { records } = await this.unitOfWork.run((tx) =>
        execute<{ key: string }>(
          tx.manager,
          'SELECT storage_key AS key FROM output_removals WHERE storage_key > ? ORDER BY storage_key LIMIT ?',
          [after, KEYS_PER_PAGE],
        ),
      );
      if (records.length === 0) break;
      removed += await this.remove(records.map((record) => record.key));
      after = records[records.length - 1].key;
    }
    if (removed > 0)
      this.logger.log(`removed ${removed} output(s) a stopped process left queued for removal`);
  }
}
