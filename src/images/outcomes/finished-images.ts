import { Injectable } from '@nestjs/common';
import { executePrepared } from '../../database/sql.js';
import type { Transaction } from '../../database/unit-of-work.js';
import type { ClaimedImage, ImageFailure } from '../queue/image-queue.js';
import { type DoneOutcome, type FinishedImage, returningFinishedOriginals } from './image-outcome.js';

const isPostgres = (tx: Transaction) => tx.manager.connection.options.type === 'postgres';

/**
 * The statements that end a leased image: processing → done | failed. Each applies only while the image
 * is still processing (its lease ours); an image whose lease was lost is left alone and not returned.
 * On PostgreSQL each returned image says whether duplicates of it wait (see FinishedImage).
 */
@Injectable()
export class FinishedImages {
  /**
   * Records leased images' successes (processed or reused) in one set-based statement whatever their
   * number; returns those recorded.
   */
  async markDone(tx: Transaction, done: DoneOutcome[]): Promise<FinishedImage[]> {
    if (done.length === 0) return [];
    // A VALUES list names its columns column1, column2… on SQLite and PostgreSQL alike.
    const { records } = await executePrepared<FinishedImage>(
      tx.manager,
      `UPDATE images SET status = 'done', output_key = v.column2,
          input_bytes = CAST(v.column3 AS INTEGER), output_bytes = CAST(v.column4 AS INTEGER),
          output_quality = CAST(v.column5 AS INTEGER), output_score = CAST(v.column6 AS REAL),
          renditions = v.column7, reused = v.column8, error_code = NULL, error_message = NULL, lease_until = NULL
        FROM (VALUES ${done.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}) AS v
        WHERE images.id = v.column1 AND images.status = 'processing'
        ${returningFinishedOriginals(isPostgres(tx))}`,
      done.flatMap((outcome) => {
        const { image, result } = outcome;
        return [
          image.id,
          result.outputKey,
          result.inputBytes,
          result.outputBytes,
          result.outputQuality,
          result.outputScore,
          result.renditions ? JSON.stringify(result.renditions) : null,
          outcome.kind === 'reused' ? outcome.how : null,
        ];
      }),
    );
    return records;
  }

  /** Records a leased image's final failure; undefined when its lease was lost. */
  async markFailed(
    tx: Transaction,
    image: ClaimedImage,
    failure: ImageFailure,
    inputBytes: number | null,
  ): Promise<FinishedImage | undefined> {
    const { records } = await executePrepared<FinishedImage>(
      tx.manager,
      `UPDATE images SET status = 'failed', output_key = NULL, input_bytes = ?,
          output_bytes = NULL, output_quality = NULL, output_score = NULL, renditions = NULL, reused = NULL, error_code = ?, error_message = ?,
          lease_until = NULL
        WHERE id = ? AND status = 'processing'
        ${returningFinishedOriginals(isPostgres(tx))}`,
      [inputBytes, failure.code, failure.message, image.id],
    );
    return records[0];
  }
}
