import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import { execute } from '../database/sql.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { WalCheckpointer } from '../database/wal-checkpointer.js';
import { ImagesService } from '../images/images.service.js';

/** Rows deleted per transaction when an upload's rows are removed: a few milliseconds of SQLite work. */
const ROWS_PER_REMOVAL = 2_000;

/** Slices written between two waits for the WAL checkpoint (a slice holds up to 1,000 images). */
const SLICES_PER_CHECKPOINT = 16;

/**
 * The uploads whose rows are written in slices (SQLite: each batch of rows commits on its own, so no
 * COMMIT of a whole 50 MiB upload holds the event loop). Until the task row is written, in the last
 * slice, nothing reads those rows: every read and the queue's claim start from `tasks`. A `staged_tasks`
 * row marks such an upload from its first slice to its last; an upload that fails removes its rows
 * (a slice at a time) and then its mark, and a mark found at start names an upload its process did not
 * finish (killed), whose rows are removed before the service takes requests. SQLite serves one process,
 * so no other process can be writing an upload meanwhile.
 */
@Injectable()
export class UploadStaging implements OnApplicationBootstrap {
  private readonly logger = new Logger(UploadStaging.name);
  private slicesSinceCheckpoint = 0;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly images: ImagesService,
    private readonly config: AppConfig,
    private readonly checkpointer: WalCheckpointer,
  ) {}

  /** Marks the request's rows as being written, before the first of them is. */
  async begin(requestId: string): Promise<void> {
    await this.unitOfWork.run((tx) =>
      execute(tx.manager, 'INSERT INTO staged_tasks (task_id, started_at) VALUES (?, ?)', [
        requestId,
        Date.now(),
      ]),
    );
  }

  /**
   * Commits one slice of rows. Every few slices it waits until the WAL has been copied back into the
   * database (WalCheckpointer), so that a large upload's WAL stays small and its COMMITs stay short.
   */
  async writeSlice(write: (tx: Transaction) => Promise<void>): Promise<void> {
    await this.unitOfWork.run(write);
    if (++this.slicesSinceCheckpoint < SLICES_PER_CHECKPOINT) return;
    this.slicesSinceCheckpoint = 0;
    await this.checkpointer.checkpoint();
  }

  /** In the transaction that writes the task row: its rows are the request's now. */
  async finish(tx: Transaction, requestId: string): Promise<void> {
    await execute(tx.manager, 'DELETE FROM staged_tasks WHERE task_id = ?', [requestId]);
  }

  /**
   * Removes the rows of an upload that did not become a request, a slice at a time, then its mark.
   * Never throws: rows it could not remove (the database closing) keep their mark, and go at the next start.
   */
  async abandon(requestId: string): Promise<void> {
    try {
      let removed = 0;
      for (;;) {
        const deleted = await this.unitOfWork.run((tx) =>
          this.images.deleteSomeRowsOfTask(tx, requestId, ROWS_PER_REMOVAL),
        );
        if (deleted === 0) break;
        removed += deleted;
        await nextTurn();
      }
      await this.unitOfWork.run((tx) => this.finish(tx, requestId));
      if (removed > 0) this.logger.log(`upload ${requestId} not stored: removed its ${removed} row(s)`);
    } catch (error) {
      this.logger.warn(
        `upload ${requestId} not stored; its rows stay until the next start: ${(error as Error).message}`,
      );
    }
  }

  /** At start, before HTTP: the rows of uploads a killed process left behind. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.isPostgres) return;
    const { records } = await this.unitOfWork.run((tx) =>
      execute<{ task_id: string }>(tx.manager, 'SELECT task_id FROM staged_tasks'),
    );
    if (records.length > 0)
      this.logger.log(`removing the rows of ${records.length} upload(s) a stopped process did not finish`);
    for (const { task_id: requestId } of records) await this.abandon(requestId);
  }
}
