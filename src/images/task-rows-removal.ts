import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { execute, inList } from '../database/sql.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { OutputReferences } from './outputs/output-references.js';
import { OutputRemovals } from './outputs/output-removals.js';
import { thumbnailKeyOf } from './output-key.js';
import type { StoredRendition } from './renditions/stored-rendition.js';

/** The keys of an original's outputs: each of its renditions, or its one output. */
function renditionKeysOf(renditions: string | null, outputKey: string): string[] {
  if (renditions === null) return [outputKey];
  return (JSON.parse(renditions) as StoredRendition[]).map((rendition) => rendition.key);
}

/** Images (then products) deleted per transaction: a few milliseconds of SQLite work. */
const ROWS_PER_SLICE = 2_000;

/**
 * Removes the products and images of a request id that has no task row: an upload that was not stored
 * (SQLite writes an upload's rows before its task row) or a deleted request. A mark in `staged_tasks`
 * names such an id, from the transaction that leaves its rows without a task until the last of them is
 * gone. The rows go a slice per transaction (one DELETE of a million rows held SQLite, and with it the
 * event loop, for seconds), and the mark last. An output may be shared with the owner's other requests
 * (a re-import reused it): the slice's transaction takes the deleted images' references off it
 * (OutputReferences) and queues for removal only the objects no image names any more (OutputRemovals),
 * which go from storage once it has committed. A crash leaves no request naming a removed object (a
 * duplicate still waiting for its slice may, but no request reads it), and the queued removals are
 * done at the next start. Marks found at start name removals a stopped process did not finish; they are
 * finished before the service takes requests (on PostgreSQL a neighbour may be finishing the same one:
 * both delete what is there, each taking off the references of the rows it deleted itself, so a shared
 * output loses each image's once; removing an object twice is harmless). A removal that fails keeps its
 * mark for the next start.
 */
@Injectable()
export class TaskRowsRemoval implements OnApplicationBootstrap {
  private readonly logger = new Logger(TaskRowsRemoval.name);

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly references: OutputReferences,
    private readonly removals: OutputRemovals,
  ) {}

  /** In the transaction that leaves the request's rows without their task row (or before the first is written). */
  async mark(tx: Transaction, requestId: string): Promise<void> {
    await execute(tx.manager, 'INSERT INTO staged_tasks (task_id, started_at) VALUES (?, ?)', [
      requestId,
      Date.now(),
    ]);
  }

  /** In the transaction that writes the task row: the rows are the request's now. */
  async unmark(tx: Transaction, requestId: string): Promise<void> {
    await execute(tx.manager, 'DELETE FROM staged_tasks WHERE task_id = ?', [requestId]);
  }

  /** Removes the marked request's rows and outputs, then its mark; returns how many of each went. */
  async remove(requestId: string): Promise<{ rows: number; outputs: number }> {
    let rows = 0;
    let outputs = 0;
    for (;;) {
      const slice = await this.unitOfWork.run((tx) => this.deleteSlice(tx, requestId));
      if (slice.deleted === 0) break;
      rows += slice.deleted;
      outputs += slice.outputKeys.length;
      await this.removals.remove(slice.outputKeys);
      await nextTurn();
    }
    await this.unitOfWork.run((tx) => this.unmark(tx, requestId));
    return { rows, outputs };
  }

  /** At start, before HTTP: the removals a stopped process did not finish. */
  async onApplicationBootstrap(): Promise<void> {
    const { records } = await this.unitOfWork.run((tx) =>
      execute<{ task_id: string }>(
        tx.manager,
        'SELECT task_id FROM staged_tasks s WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = s.task_id)',
      ),
    );
    if (records.length === 0) return;
    this.logger.log(`removing the rows of ${records.length} request(s) a stopped process did not finish`);
    for (const { task_id: requestId } of records) {
      try {
        const { rows, outputs } = await this.remove(requestId);
        this.logger.log(`request ${requestId}: removed ${rows} row(s) and ${outputs} output(s)`);
      } catch (error) {
        this.logger.warn(
          `request ${requestId}: removal failed, left for the next start: ${(error as Error).message}`,
        );
      }
    }
  }

  /**
   * Deletes up to ROWS_PER_SLICE of the task's images, or once none is left up to ROWS_PER_SLICE of its
   * products; returns how many rows it deleted (0: none is left) and the storage keys it queued for
   * removal: the previews of the deleted images, and the outputs (each rendition) whose last reference
   * they held (a duplicate shares its original's output, and goes with it or without it).
   */
  private async deleteSlice(
    tx: Transaction,
    taskId: string,
  ): Promise<{ deleted: number; outputKeys: string[] }> {
    const { records } = await execute<{ id: string }>(
      tx.manager,
      'SELECT id FROM images WHERE task_id = ? LIMIT ?',
      [taskId, ROWS_PER_SLICE],
    );
    if (records.length > 0) {
      // The rows this statement deleted, not those selected: a neighbour removing the same task
      // (PostgreSQL) may have deleted some of them meanwhile, and taken their references off already.
      const { records: deleted } = await execute<{
        id: string;
        outputKey: string | null;
        renditions: string | null;
      }>(
        tx.manager,
        `DELETE FROM images WHERE id IN (${inList(records.length)})
          RETURNING id, CASE WHEN duplicate_of IS NULL THEN output_key END AS "outputKey", renditions`,
        records.map((image) => image.id),
      );
      const withOutput = deleted.filter((image) => image.outputKey !== null);
      const unreferenced = await this.references.release(
        tx,
        withOutput.map((image) => image.outputKey!),
      );
      // An image with an output may have a preview (made on its first request, under its own id); with
      // renditions, its output is the first of them.
      const outputKeys = [
        ...new Set(
          withOutput.flatMap((image) => [
            ...(unreferenced.has(image.outputKey!)
              ? renditionKeysOf(image.renditions, image.outputKey!)
              : []),
            thumbnailKeyOf(image.id),
          ]),
        ),
      ];
      await this.removals.queue(tx, outputKeys);
      // The rows selected, not the DELETE's count: a neighbour removing the same task (PostgreSQL) may
      // have deleted some, and the removal goes on until none is selected.
      return { deleted: records.length, outputKeys };
    }
    const products = await execute(
      tx.manager,
      'DELETE FROM products WHERE task_id = ? AND row_number IN (SELECT row_number FROM products WHERE task_id = ? LIMIT ?)',
      [taskId, taskId, ROWS_PER_SLICE],
    );
    return { deleted: products.affected, outputKeys: [] };
  }
}
