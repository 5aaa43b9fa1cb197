import { Injectable } from '@nestjs/common';
import { type BulkColumns, executePrepared, rowsRelation } from '../../database/sql.js';
import type { Transaction } from '../../database/unit-of-work.js';
import type { ClaimedImage, ImageFailure } from '../queue/image-queue.js';
import { type DoneOutcome, type FinishedImage, returningFinishedOriginals } from './image-outcome.js';

const isPostgres = (tx: Transaction) => tx.manager.connection.options.type === 'postgres';

/**
 * What recording an image done writes on its row (named apart from the row's columns, which RETURNING
 * names unqualified).
 */
const DONE_COLUMNS: BulkColumns = {
  image_id: 'text',
  key: 'text',
  bytes_in: 'integer',
  bytes_out: 'integer',
  quality: 'integer',
  score: 'real',
  renditions_json: 'text',
  reused_how: 'text',
};

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
    const rows = rowsRelation(
      tx.manager,
      'v',
      DONE_COLUMNS,
      done.map((outcome) => {
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
    const { records } = await executePrepared<FinishedImage>(
      tx.manager,
      `UPDATE images SET status = 'done', output_key = v.key, input_bytes = v.bytes_in,
          output_bytes = v.bytes_out, output_quality = v.quality, output_score = v.score,
          renditions = v.renditions_json, reused = v.reused_how, error_code = NULL, error_message = NULL, lease_until = NULL
        FROM ${rows.sql}
        WHERE images.id = v.image_id AND images.status = 'processing'
        ${returningFinishedOriginals(isPostgres(tx))}`,
      rows.parameters,
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
