import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { execute, executePrepared, inList } from '../../database/sql.js';
import { SqlitePlanHints } from '../../database/sqlite-plan-hints.js';
import type { Transaction } from '../../database/unit-of-work.js';
import { type FinishedImage, RETURNING_FINISHED } from './image-outcome.js';

/**
 * The statements on duplicates: images whose URL appeared earlier in their request, which wait (queued,
 * never claimed) for their original's outcome. Every walk names the partial index of waiting duplicates
 * for SQLite (see SqlitePlanHints).
 */
@Injectable()
export class DuplicateImages {
  private readonly hints: SqlitePlanHints;

  constructor(private readonly config: AppConfig) {
    this.hints = new SqlitePlanHints(config.database.isPostgres);
  }

  /**
   * Gives up to `limit` waiting duplicates of the given images their original's outcome, once the
   * original is done or failed; returns them. A URL repeated 20,000 times in a request is 20,000 rows
   * to update when its image finishes (~1.5 s of SQLite work in one statement), so the caller updates
   * them a slice per transaction until fewer than `limit` come back. On PostgreSQL, rows another
   * worker is updating (its own fan-out of the same image, or a sweep's) are skipped, not waited for:
   * two slices never lock the same rows in different orders, and the outer status check counts each
   * duplicate once.
   */
  async finish(tx: Transaction, originalIds: string[], limit: number): Promise<FinishedImage[]> {
    if (originalIds.length === 0) return [];
    // The waiting duplicates first, then the UPDATE of those alone: nearly every batch finds none, and
    // SQLite's UPDATE … WHERE id IN (subquery) cost ~170 µs even then, against ~10 µs for the SELECT.
    const { records: waiting } = await executePrepared<{ id: string }>(
      tx.manager,
      `SELECT d.id FROM images d ${this.hints.indexedBy('idx_images_waiting_duplicates')}
        WHERE d.duplicate_of IN (${inList(originalIds.length)}) AND d.status = 'queued'
          AND EXISTS (SELECT 1 FROM images o WHERE o.id = d.duplicate_of AND o.status IN ('done', 'failed'))
        LIMIT ? ${this.config.database.isPostgres ? 'FOR UPDATE OF d SKIP LOCKED' : ''}`,
      [...originalIds, limit],
    );
    if (waiting.length === 0) return [];
    const { records } = await execute<FinishedImage>(
      tx.manager,
      `UPDATE images SET (status, output_key, input_bytes, output_bytes, output_quality, output_score, renditions, reused, error_code, error_message) =
          (SELECT o.status, o.output_key, o.input_bytes, o.output_bytes, o.output_quality, o.output_score, o.renditions, o.reused, o.error_code, o.error_message
             FROM images o WHERE o.id = images.duplicate_of)
        WHERE id IN (${inList(waiting.length)}) AND ${this.hints.noIndex}status = 'queued'
        ${RETURNING_FINISHED}`,
      waiting.map((row) => row.id),
    );
    return records;
  }

  /** Those of the given images that have duplicates still waiting (one index probe each). */
  async stillWaitingOf(tx: Transaction, originalIds: string[]): Promise<string[]> {
    if (originalIds.length === 0) return [];
    const { records } = await execute<{ id: string }>(
      tx.manager,
      `SELECT o.id FROM images o
        WHERE o.id IN (${inList(originalIds.length)})
          AND EXISTS (SELECT 1 FROM images d ${this.hints.indexedBy('idx_images_waiting_duplicates')}
                       WHERE d.duplicate_of = o.id AND d.status = 'queued')`,
      originalIds,
    );
    return records.map((row) => row.id);
  }

  /**
   * Finished images some of whose duplicates still wait: those a process stopped fanning out (killed
   * between two slices of `finish`). At most `limit` of them.
   */
  async abandonedOriginals(tx: Transaction, limit: number): Promise<string[]> {
    const { records } = await execute<{ id: string }>(
      tx.manager,
      `SELECT DISTINCT d.duplicate_of AS id
         FROM images d ${this.hints.indexedBy('idx_images_waiting_duplicates')}
        WHERE d.duplicate_of IS NOT NULL AND d.status = 'queued'
          AND EXISTS (SELECT 1 FROM images o WHERE o.id = d.duplicate_of AND o.status IN ('done', 'failed'))
        LIMIT ?`,
      [limit],
    );
    return records.map((row) => row.id);
  }
}
