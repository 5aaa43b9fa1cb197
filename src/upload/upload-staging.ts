import { Injectable, Logger } from '@nestjs/common';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { WalCheckpointer } from '../database/wal-checkpointer.js';
import { TaskRowsRemoval } from '../images/task-rows-removal.js';

/** Slices written between two waits for the WAL checkpoint (a slice holds up to 1,000 images). */
const SLICES_PER_CHECKPOINT = 16;

/**
 * The uploads whose rows are written in slices (SQLite: each batch of rows commits on its own, so no
 * COMMIT of a whole 50 MiB upload holds the event loop). Until the task row is written, in the last
 * slice, nothing reads those rows: every read and the queue's claim start from `tasks`. A mark
 * (TaskRowsRemoval) names such an upload from its first slice to its last; an upload that fails has
 * its rows removed, a slice at a time, and a mark found at start names an upload its process did not
 * finish (killed), whose rows are removed before the service takes requests. SQLite serves one
 * process, so no other process can be writing an upload meanwhile.
 */
@Injectable()
export class UploadStaging {
  private readonly logger = new Logger(UploadStaging.name);
  private slicesSinceCheckpoint = 0;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly removal: TaskRowsRemoval,
    private readonly checkpointer: WalCheckpointer,
  ) {}

  /** Marks the request's rows as being written, before the first of them is. */
  async begin(requestId: string): Promise<void> {
    await this.unitOfWork.run((tx) => this.removal.mark(tx, requestId));
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
    await this.removal.unmark(tx, requestId);
  }

  /**
   * Removes the rows of an upload that did not become a request, a slice at a time, then its mark.
   * Never throws: rows it could not remove (the database closing) keep their mark, and go at the next start.
   */
  async abandon(requestId: string): Promise<void> {
    try {
      const { rows } = await this.removal.remove(requestId);
      if (rows > 0) this.logger.log(`upload ${requestId} not stored: removed its ${rows} row(s)`);
    } catch (error) {
      this.logger.warn(
        `upload ${requestId} not stored; its rows stay until the next start: ${(error as Error).message}`,
      );
    }
  }
}
