import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../../database/unit-of-work.js';
import { DuplicateFanOut } from './duplicate-fan-out.js';
import { FinishedImages } from './finished-images.js';
import type { ImageOutcome } from './image-outcome.js';
import { TaskCompletion } from './task-completion.js';

/**
 * Writes one batch of outcomes in one transaction: one UPDATE for the successes, each failure on its
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
  ) {}

  /** Returns the ids of the images recorded (those whose lease was still ours); throws when the transaction failed. */
  async write(outcomes: ImageOutcome[]): Promise<Set<string>> {
    const { recorded, slice, completions } = await this.unitOfWork.run(async (tx) => {
      const done = outcomes.flatMap((outcome) => (outcome.kind === 'done' ? [outcome] : []));
      const finished = await this.finishedImages.markDone(tx, done);
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
      return { recorded: new Set(finished.map((image) => image.id)), slice, completions };
    });
    slice.settle();
    this.completion.announce(completions);
    return recorded;
  }
}
