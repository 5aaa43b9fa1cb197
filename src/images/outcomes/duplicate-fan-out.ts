import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { type Transaction, UnitOfWork } from '../../database/unit-of-work.js';
import { DuplicateImages } from './duplicate-images.js';
import type { FinishedImage } from './image-outcome.js';

/**
 * Duplicates given their original's outcome per transaction: a URL repeated 20,000 times in a request
 * is that many rows to update when its image finishes (~30 µs each on SQLite), done in slices of about
 * 15 ms with the event loop free in between.
 */
const DUPLICATES_PER_SLICE = 500;

/** Finished images whose duplicates one slice takes (the others wait for the next slices). */
const ORIGINALS_PER_SLICE = 100;

/** One slice of the fan-out, written in a batch's transaction; `settle` once that transaction has committed. */
export interface FanOutSlice {
  duplicates: FinishedImage[];
  settle(): void;
}

/**
 * Gives finished images' waiting duplicates their outcome, a slice per transaction (each batch of
 * outcomes takes one): it remembers the originals whose duplicates may still wait, and asks for more
 * transactions (`onWork`) while any do. At start, the duplicates a stopped process left waiting (killed
 * between two slices) are taken up the same way; on PostgreSQL every LEASE_MS too, for a neighbour
 * that stopped for good.
 */
@Injectable()
export class DuplicateFanOut implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DuplicateFanOut.name);
  /** Finished images some of whose duplicates may still wait for their outcome. */
  private readonly originals = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;
  /** The last sweep found as many images as it takes: once these are done, there may be more. */
  private sweepFull = false;
  /** Called when there is fan-out work for a transaction (the OutcomeRecorder schedules one). */
  onWork: () => void = () => undefined;

  constructor(
    private readonly duplicates: DuplicateImages,
    private readonly unitOfWork: UnitOfWork,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    if (!this.config.database.isPostgres) return;
    this.sweepTimer = setInterval(() => void this.sweep(), this.config.workers.leaseMs);
    this.sweepTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweepTimer);
  }

  /** Whether some originals' duplicates still wait for a slice. */
  get pending(): boolean {
    return this.originals.size > 0;
  }

  /**
   * In a batch's transaction: gives up to DUPLICATES_PER_SLICE duplicates of the images it finished, and
   * of earlier images still waiting, their outcome. `settle()` after the commit carries the images whose
   * duplicates did not all fit to the next slice (a rolled-back slice leaves everything as it was).
   */
  async slice(tx: Transaction, finished: FinishedImage[]): Promise<FanOutSlice> {
    // An image known to have no duplicates waiting (PostgreSQL tells) needs no look.
    const waiting = finished.filter((image) => image.waitingDuplicates !== false);
    const candidates = [...new Set([...this.originals, ...waiting.map((image) => image.id)])];
    const taken = candidates.slice(0, ORIGINALS_PER_SLICE);
    const later = candidates.slice(ORIGINALS_PER_SLICE);
    const duplicates = await this.duplicates.finish(tx, taken, DUPLICATES_PER_SLICE);
    // Carried to the next slice: those of the images that still have duplicates waiting (checked when
    // this slice was full), so that the set holds only work left, whatever finishes meanwhile.
    const stillWaiting =
      duplicates.length === DUPLICATES_PER_SLICE ? await this.duplicates.stillWaitingOf(tx, taken) : [];
    return {
      duplicates,
      settle: () => {
        for (const id of taken) this.originals.delete(id);
        for (const id of [...stillWaiting, ...later]) this.originals.add(id);
      },
    };
  }

  /** When the recorder has nothing left to write: the next sweep's turn, when the last one was cut at its limit. */
  idle(): void {
    if (this.sweepFull) void this.sweep();
  }

  private async sweep(): Promise<void> {
    try {
      const originals = await this.unitOfWork.run((tx) =>
        this.duplicates.abandonedOriginals(tx, ORIGINALS_PER_SLICE),
      );
      this.sweepFull = originals.length === ORIGINALS_PER_SLICE;
      if (originals.length === 0) return;
      this.logger.log(`giving ${originals.length} finished image(s) outcome to their waiting duplicates`);
      for (const id of originals) this.originals.add(id);
      this.onWork();
    } catch (error) {
      this.logger.warn(`looking for waiting duplicates failed: ${(error as Error).message}`);
    }
  }
}
