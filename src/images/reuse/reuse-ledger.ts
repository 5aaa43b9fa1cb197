import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { execute, executePrepared, inList } from '../../database/sql.js';
import type { Transaction } from '../../database/unit-of-work.js';
import type { DoneOutcome } from '../outcomes/image-outcome.js';

/**
 * What recording done images writes of outputs and sources, in the batch's transaction, each a
 * set-based statement whatever the batch's size: a processed image's output (refs 1), a reusing
 * image's reference (refs + 1), and per owner the source's validators and output. Requests' deletion
 * takes references off (and removes an output's files once none is left); it locks the outputs rows it
 * changes in key order, as `holdLive` does, so the two never deadlock on PostgreSQL.
 */
@Injectable()
export class ReuseLedger {
  constructor(private readonly config: AppConfig) {}

  /**
   * Of the outputs that reusing images name, those some image still names (refs > 0), locked until the
   * transaction ends on PostgreSQL (in key order): no deletion can take their last reference before
   * this transaction adds its own. An output not returned is gone: its images must be made again.
   */
  async holdLive(tx: Transaction, outputKeys: string[]): Promise<Set<string>> {
    const keys = [...new Set(outputKeys)].sort();
    if (keys.length === 0) return new Set();
    const { records } = await execute<{ key: string }>(
      tx.manager,
      `SELECT output_key AS "key" FROM outputs WHERE output_key IN (${inList(keys.length)}) AND refs > 0
        ORDER BY output_key ${this.config.database.isPostgres ? 'FOR UPDATE' : ''}`,
      keys,
    );
    return new Set(records.map((row) => row.key));
  }

  /**
   * For images just recorded done: their outputs (new, or one more reference) and their sources. On
   * PostgreSQL the new outputs and the sources are one statement (a data-modifying CTE and the
   * upsert): a round trip fewer per batch.
   */
  async remember(tx: Transaction, done: DoneOutcome[]): Promise<void> {
    const now = Date.now();
    const outputs = this.insertOutputs(done, now);
    await this.addReferences(tx, done);
    const sources = this.upsertSources(done, now);
    if (this.config.database.isPostgres && outputs && sources) {
      await executePrepared(tx.manager, `WITH made AS (${outputs.sql}) ${sources.sql}`, [
        ...outputs.parameters,
        ...sources.parameters,
      ]);
      return;
    }
    for (const statement of [outputs, sources])
      if (statement) await executePrepared(tx.manager, statement.sql, statement.parameters);
  }

  /** The INSERT of processed images' outputs (refs 1); undefined when there are none. */
  private insertOutputs(done: DoneOutcome[], now: number): Statement | undefined {
    const made = done.filter((outcome) => outcome.kind === 'done' && outcome.source?.contentSha256);
    if (made.length === 0) return undefined;
    return {
      sql: `INSERT INTO outputs (output_key, owner, options_key, content_sha256, refs, output_bytes,
          output_quality, output_score, renditions, created_at)
        VALUES ${made.map(() => '(?, ?, ?, ?, 1, ?, ?, ?, ?, ?)').join(', ')}
        ON CONFLICT (output_key) DO NOTHING`,
      parameters: made.flatMap(({ image, result, source }) => [
        result.outputKey,
        image.queueOwner,
        source!.optionsKey,
        source!.contentSha256,
        result.outputBytes,
        result.outputQuality,
        result.outputScore,
        result.renditions ? JSON.stringify(result.renditions) : null,
        now,
      ]),
    };
  }

  /** One reference more per reusing image, on outputs held by holdLive (the guard holds on SQLite too). */
  private async addReferences(tx: Transaction, done: DoneOutcome[]): Promise<void> {
    const added = new Map<string, number>();
    for (const outcome of done)
      if (outcome.kind === 'reused')
        added.set(outcome.result.outputKey, (added.get(outcome.result.outputKey) ?? 0) + 1);
    if (added.size === 0) return;
    const keys = [...added.keys()].sort();
    const { affected } = await executePrepared(
      tx.manager,
      `UPDATE outputs SET refs = refs + CAST(v.column2 AS INTEGER)
        FROM (VALUES ${keys.map(() => '(?, ?)').join(', ')}) AS v
        WHERE outputs.output_key = v.column1 AND outputs.refs > 0`,
      keys.flatMap((key) => [key, added.get(key)]),
    );
    // holdLive found each of them live in this transaction: anything else is a bug, rolled back.
    if (affected !== keys.length)
      throw new Error(`reused outputs vanished while held (${keys.length - affected})`);
  }

  /**
   * Each image's source, per owner, options and URL: the validators it answered with and the URL that
   * answered (its last hop), its output, when.
   * Rows in key order (fewer lock waits between workers on PostgreSQL); one per key (a statement may not
   * change a row twice): two requests' images of one URL in one batch leave the last one's.
   */
  private upsertSources(done: DoneOutcome[], now: number): Statement | undefined {
    const byKey = new Map<string, DoneOutcome & { source: NonNullable<DoneOutcome['source']> }>();
    for (const outcome of done)
      if (outcome.source)
        byKey.set(`${outcome.image.queueOwner}\0${outcome.source.optionsKey}\0${outcome.source.urlKey}`, {
          ...outcome,
          source: outcome.source,
        });
    if (byKey.size === 0) return undefined;
    const rows = [...byKey.keys()].sort().map((key) => byKey.get(key)!);
    return {
      sql: `INSERT INTO sources (owner, options_key, url_sha256, etag, last_modified, final_url, output_key, checked_at)
        VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
        ON CONFLICT (owner, options_key, url_sha256) DO UPDATE SET etag = excluded.etag,
          last_modified = excluded.last_modified, final_url = excluded.final_url,
          output_key = excluded.output_key, checked_at = excluded.checked_at`,
      parameters: rows.flatMap(({ image, result, source }) => [
        image.queueOwner,
        source.optionsKey,
        source.urlKey,
        source.validators.etag,
        source.validators.lastModified,
        source.finalUrl,
        result.outputKey,
        now,
      ]),
    };
  }
}

/** One statement and its parameters. */
interface Statement {
  sql: string;
  parameters: unknown[];
}
