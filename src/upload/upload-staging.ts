import { Injectable, Logger } from '@nestjs/common';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { WalCheckpointer } from '../database/wal-checkpointer.js';
import { TaskRowsRemoval } from '../images/task-rows-removal.js';

/** Slices written before the WAL is checkpointed beside them (a slice holds up to 1,000 images); see writeSlice. */
const SLICES_PER_CHECKPOINT = 8;

/** Checkpoints a drain runs at most, until one copies the WAL whole. */
const DRAIN_ATTEMPTS = 4;

interface RunningCheckpoint {
  /** The slices written since the WAL started over, when it began: it copies those. */
  slicesBefore: number;
  done: boolean;
  /** Resolves once it is done (WalCheckpointer.checkpoint never rejects). */
  finished: Promise<void>;
}

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
  /** The checkpoint running beside the slices, if one is. */
  private copying?: RunningCheckpoint;
  /** While the WAL is drained (see writeSlice), no upload writes a slice. */
  private draining?: Promise<void>;

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
   * Commits one slice of rows, and keeps the WAL that the slices grow small, so that their COMMITs stay
   * short (WalCheckpointer). From SLICES_PER_CHECKPOINT slices on, checkpoints run one after another in
   * the checkpointer's thread while the slices go on being written on this one, each copying what was
   * committed while the one before ran; waiting for every copy instead held the upload for as long as
   * the copies took (~0.9 s of 5.8 s for 100,000 rows). Once one is done with at most a slice written
   * meanwhile, or once twice SLICES_PER_CHECKPOINT slices are in the WAL, the WAL is drained: every
   * upload's slices wait while checkpoints run until one copies the WAL whole (other commits, such as
   * the image workers', may land meanwhile: a few tries), and the next transaction starts it over.
   */
  async writeSlice(write: (tx: Transaction) => Promise<void>): Promise<void> {
    while (this.draining) await this.draining;
    await this.unitOfWork.run(write);
    this.slicesSinceCheckpoint++;
    if (this.draining) return; // another upload's slice started it while this one was committed
    const copying = this.copying;
    if (!copying) {
      if (this.slicesSinceCheckpoint >= SLICES_PER_CHECKPOINT) this.copying = this.startCheckpoint();
      return;
    }
    const full = this.slicesSinceCheckpoint >= 2 * SLICES_PER_CHECKPOINT;
    if (!full && !copying.done) return;
    if (!full && this.slicesSinceCheckpoint - copying.slicesBefore > 1) {
      this.copying = this.startCheckpoint();
      return;
    }
    this.draining = this.drain(copying).finally(() => (this.draining = undefined));
    await this.draining;
  }

  private async drain(copying: RunningCheckpoint): Promise<void> {
    await copying.finished;
    for (let attempt = 1; attempt <= DRAIN_ATTEMPTS; attempt++) {
      if (await this.checkpointer.checkpoint()) break;
    }
    this.copying = undefined;
    this.slicesSinceCheckpoint = 0;
  }

  private startCheckpoint(): RunningCheckpoint {
    const copying: RunningCheckpoint = {
      slicesBefore: this.slicesSinceCheckpoint,
      done: false,
      finished: this.checkpointer.checkpoint().then(() => {
        copying.done = true;
      }),
    };
    return copying;
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
