import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../../database/unit-of-work.js';
import { DuplicateFanOut } from './duplicate-fan-out.js';
import { FinishedImages } from './finished-images.js';
import { ReuseLedger } from '../reuse/reuse-ledger.js';
import type { DoneOutcome, ImageOutcome } from './image-outcome.js';
import { TaskCompletion } from './task-completion.js';

/** What a batch recorded: the images recorded, and the reusing ones whose output was gone (not recorded). */
export interface WrittenBatch {
  recorded: Set<string>;
  outputGone: Set<string>;
}

/**
 * Writes one batch of outcomes in one transaction: the outputs reusing images name held first (in key
 * order), one UPDATE for the successes, their outputs and sources (ReuseLedger), each failure on its
 * own, a slice of the duplicates' fan-out, and per task one counter UPDATE with the conditional
 * completion (and its webhook message). The guarantees are those of one image per transaction: an image
 * is recorded only while its lease is ours (the UPDATE's condition), and a batch commits or rolls back
 * whole.
 */
@Injectable()
export class OutcomeTransaction {
  constructor(
    private readonly finishedImages: FinishedImages,
    private readonly fanOut: DuplicateFanOut,
    private readonly completion: TaskCompletion,
    private readonly unitOfWork: UnitOfWork,
    private readonly ledger: ReuseLedger,
  ) {}

  /**
   * Returns the images recorded (those whose lease was still ours) and the reusing ones not recorded
   * because their output is gone; throws when the transaction failed.
   */
  async write(outcomes: ImageOutcome[]): Promise<WrittenBatch> {
    const { recorded, outputGone, slice, completions } = await this.unitOfWork.run(async (tx) => {
      const reused = outcomes.flatMap((outcome) => (outcome.kind === 'reused' ? [outcome] : []));
      const live = await this.ledger.holdLive(
        tx,
        reused.map((outcome) => outcome.result.outputKey),
      );
      const done = outcomes.filter(
        (outcome): outcome is DoneOutcome =>
          outcome.kind === 'done' || (outcome.kind === 'reused' && live.has(outcome.result.outputKey)),
      );
      const finished = await this.finishedImages.markDone(tx, done);
      const markedDone = new Set(finished.map((image) => image.id));
      await this.ledger.remember(
        tx,
        done.filter((outcome) => markedDone.has(outcome.image.id)),
      );
      for (const outcome of outcomes) {
        if (outcome.kind !== 'failed') continue;
        const failed = await this.finishedImages.markFailed(
          tx,
          outcome.image,
          outcome.failure,
          outcome.inputBytes,
        );
        if (failed) finished.push(failed);
      }
      const slice = await this.fanOut.slice(tx, finished);
      const completions = await this.completion.count(tx, finished, slice.duplicates);
      const outputGone = reused.filter((outcome) => !live.has(outcome.result.outputKey));
      return {
        recorded: new Set(finished.map((image) => image.id)),
        outputGone: new Set(outputGone.map((outcome) => outcome.image.id)),
        slice,
        completions,
      };
    });
    slice.settle();
    this.completion.announce(completions);
    return { recorded, outputGone };
  }
}
