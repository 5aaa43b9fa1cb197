import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { AppConfig } from '../../config/app-config.js';
import { DuplicateFanOut } from './duplicate-fan-out.js';
import type { ImageOutcome } from './image-outcome.js';
import { OutcomeTransaction, type WrittenBatch } from './outcome-transaction.js';

/** Back-off after a batch failed to be written (the database down, or the disk full): no busy loop. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * What became of a recorded outcome: true once committed, false when the lease was lost (another worker
 * owns the image: nothing was recorded), `output_gone` for a reuse whose output lost its last image
 * meanwhile (nothing was recorded: the image is to be made again).
 */
export type Recorded = boolean | 'output_gone';

interface Pending {
  outcome: ImageOutcome;
  /** When it was handed over (performance.now()). */
  since: number;
  resolve(recorded: Recorded): void;
  reject(error: unknown): void;
}

/**
 * Records finished images in batches. The outcomes that arrive within RECORD_BATCH_MS of the first one
 * (counted from its arrival, whether or not a batch was being written meanwhile), up to RECORD_BATCH_SIZE, share one transaction
 * (OutcomeTransaction); a waiting image holds no worker slot, so waiting costs latency, not throughput. It
 * also takes a slice of the duplicates' fan-out; batches go on while the fan-out has work. A batch that
 * fails rejects every caller, whose leases then run out, so their images are taken again.
 */
@Injectable()
export class OutcomeRecorder implements OnApplicationShutdown {
  private readonly logger = new Logger(OutcomeRecorder.name);
  private readonly pending: Pending[] = [];
  /** The batch being written, if any: one at a time, the next one gathers meanwhile. */
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** Set while the pause after a failed batch runs: nothing is written before it ends. */
  private retrying = false;
  private immediate?: NodeJS.Immediate;
  private stopped = false;

  constructor(
    private readonly transaction: OutcomeTransaction,
    private readonly fanOut: DuplicateFanOut,
    private readonly config: AppConfig,
  ) {
    fanOut.onWork = () => this.schedule();
  }

  /** Records the outcome once its batch has committed (see Recorded). Rejects only when the database failed. */
  record(outcome: ImageOutcome): Promise<Recorded> {
    return new Promise((resolve, reject) => {
      this.pending.push({ outcome, since: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** After the queue's shutdown (whose in-flight images were recorded): no more writes. */
  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
  }

  private schedule(): void {
    // The batch being written, or the pause after a failed one, takes the next batch when it ends.
    if (this.writing || this.retrying || this.stopped) return;
    const { recordBatchSize, recordBatchMs } = this.config.workers;
    const oldest = this.pending[0];
    const wait = oldest ? oldest.since + recordBatchMs - performance.now() : 0;
    if (this.pending.length >= recordBatchSize || wait <= 0) this.flushSoon();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /**
   * Writes the next batch once the event loop has had its turn: on SQLite a transaction never leaves
   * the microtask queue, so batches written back to back (a fan-out's slices, outcomes arriving
   * meanwhile) would hold the event loop as long as they all last.
   */
  private flushSoon(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      if (!this.writing) this.flush();
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.config.workers.recordBatchSize);
    this.writing = this.write(batch)
      .catch((error: Error) => {
        this.logger.error(`recording outcomes failed: ${error.message}`);
        return false;
      })
      .then((written) => {
        this.writing = undefined;
        if (this.stopped) return;
        // Outcomes that arrived meanwhile wait out their RECORD_BATCH_MS (a batch written back to back
        // with the last would be as small as what arrived during one write); a fan-out goes on (after a
        // pause if the database just failed), and then the next sweep's, when the last one was cut at its limit.
        const more = this.pending.length > 0 || this.fanOut.pending;
        if (more && !written) {
          this.retrying = true;
          this.timer = setTimeout(() => {
            this.retrying = false;
            this.flush();
          }, RETRY_AFTER_FAILURE_MS);
        } else if (more) this.schedule();
        else this.fanOut.idle();
      });
  }

  /** Writes one batch and a slice of the fan-out; false when the transaction failed. */
  private async write(batch: Pending[]): Promise<boolean> {
    let written: WrittenBatch;
    try {
      written = await this.transaction.write(batch.map((pending) => pending.outcome));
    } catch (error) {
      if (batch.length === 0)
        this.logger.error(`giving duplicates their outcome failed: ${(error as Error).message}`);
      for (const pending of batch) pending.reject(error);
      return false;
    }
    for (const pending of batch) {
      const { id } = pending.outcome.image;
      pending.resolve(written.outputGone.has(id) ? 'output_gone' : written.recorded.has(id));
    }
    return true;
  }
}
