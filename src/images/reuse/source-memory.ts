import { Injectable } from '@nestjs/common';
import type { Validators } from '../../http/safe-http-client.js';
import { AppConfig } from '../../config/app-config.js';
import { execute } from '../../database/sql.js';
import { UnitOfWork } from '../../database/unit-of-work.js';
import type { ImageResult } from '../outcomes/image-outcome.js';
import type { StoredRendition } from '../renditions/stored-rendition.js';

/** An output an image may reuse: what its row copies. */
export type RememberedOutput = Omit<ImageResult, 'inputBytes'>;

/**
 * What an owner's earlier import of a URL left: the validators it was downloaded with, the URL that
 * answered with them (null: kept before it was, taken as the uploaded URL's), and its output.
 */
export interface RecalledSource {
  validators: Validators;
  finalUrl: string | null;
  output: RememberedOutput;
}

/** An outputs row as the reads below select it (PostgreSQL returns BIGINT as a string). */
interface OutputRow {
  outputKey: string;
  outputBytes: number | string;
  outputQuality: number;
  outputScore: number | null;
  renditions: string | null;
}

const OUTPUT_COLUMNS = `o.output_key AS "outputKey", o.output_bytes AS "outputBytes",
  o.output_quality AS "outputQuality", o.output_score AS "outputScore", o.renditions`;

function outputOf(row: OutputRow): RememberedOutput {
  return {
    outputKey: row.outputKey,
    outputBytes: Number(row.outputBytes),
    outputQuality: row.outputQuality,
    outputScore: row.outputScore,
    renditions: row.renditions ? (JSON.parse(row.renditions) as StoredRendition[]) : undefined,
  };
}

/** One image's read, waiting to share a statement with the others. */
interface PendingRead<T> {
  keys: [string, string, string];
  resolve(value: T | undefined): void;
  reject(error: unknown): void;
}

/**
 * Reads made together, as a group commit makes writes: those asked for in one turn of the event loop,
 * and those asked for while the previous statement ran, share the next one (one at a time). Images
 * start one by one as worker slots free up, so reads made on their own were a round trip each (two
 * per image, more than the claim and the recording cost per image on PostgreSQL); a read waits at most
 * for the statement before it. `readMany` answers each key, in order.
 */
class ReadBatch<T> {
  private pending: Array<PendingRead<T>> = [];
  private reading = false;

  constructor(
    private readonly readMany: (keys: Array<[string, string, string]>) => Promise<Array<T | undefined>>,
  ) {}

  read(keys: [string, string, string]): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0 && !this.reading) setImmediate(() => this.flush());
      this.pending.push({ keys, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.reading = true;
    this.readMany(batch.map((read) => read.keys))
      .then(
        (values) => batch.forEach((read, index) => read.resolve(values[index])),
        (error: unknown) => batch.forEach((read) => read.reject(error)),
      )
      .finally(() => {
        this.reading = false;
        if (this.pending.length > 0) this.flush();
      });
  }
}

/** Rows as a batched read returns them: each with the position of the key it answers (from 1). */
type Numbered<T> = T & { position: number | string };

/**
 * The reads a worker makes to reuse an owner's earlier outputs (`sources`, `outputs`), each one probe of
 * a primary key or index. Only outputs some image still names (refs > 0) are found; one whose last
 * image goes meanwhile is caught when the reuse is recorded (ReuseLedger.holdLive). The reads asked
 * for in one turn share one statement on PostgreSQL (one array per key column, so one statement text
 * whatever their number), one turn of the connection on SQLite (UnitOfWork.read).
 */
@Injectable()
export class SourceMemory {
  private readonly recalls = new ReadBatch<RecalledSource>((keys) => this.recallMany(keys));
  private readonly contents = new ReadBatch<RememberedOutput>((keys) => this.withContentMany(keys));

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly config: AppConfig,
  ) {}

  /** Before the download: the owner's last import of this URL with these options, if its output remains. */
  recall(owner: string, optionsKey: string, urlKey: string): Promise<RecalledSource | undefined> {
    return this.recalls.read([owner, optionsKey, urlKey]);
  }

  /** After a download: an output of the owner's, made with these options from the same bytes. */
  withContent(
    owner: string,
    optionsKey: string,
    contentSha256: string,
  ): Promise<RememberedOutput | undefined> {
    return this.contents.read([owner, optionsKey, contentSha256]);
  }

  private async recallMany(
    keys: Array<[string, string, string]>,
  ): Promise<Array<RecalledSource | undefined>> {
    type Row = OutputRow & { etag: string | null; lastModified: string | null; finalUrl: string | null };
    const rows = await this.readMany<Row>(
      keys,
      `SELECT s.etag, s.last_modified AS "lastModified", s.final_url AS "finalUrl", ${OUTPUT_COLUMNS}
         FROM sources s JOIN outputs o ON o.output_key = s.output_key
        WHERE s.owner = ? AND s.options_key = ? AND s.url_sha256 = ? AND o.refs > 0`,
      `SELECT s.etag, s.last_modified AS "lastModified", s.final_url AS "finalUrl", ${OUTPUT_COLUMNS}
         FROM sources s JOIN outputs o ON o.output_key = s.output_key
        WHERE s.owner = k.owner AND s.options_key = k.options_key AND s.url_sha256 = k.value AND o.refs > 0 LIMIT 1`,
    );
    return rows.map(
      (row) =>
        row && {
          validators: { etag: row.etag, lastModified: row.lastModified },
          finalUrl: row.finalUrl,
          output: outputOf(row),
        },
    );
  }

  private async withContentMany(
    keys: Array<[string, string, string]>,
  ): Promise<Array<RememberedOutput | undefined>> {
    const rows = await this.readMany<OutputRow>(
      keys,
      `SELECT ${OUTPUT_COLUMNS} FROM outputs o
        WHERE o.owner = ? AND o.options_key = ? AND o.content_sha256 = ? AND o.refs > 0 LIMIT 1`,
      `SELECT ${OUTPUT_COLUMNS} FROM outputs o
        WHERE o.owner = k.owner AND o.options_key = k.options_key AND o.content_sha256 = k.value AND o.refs > 0 LIMIT 1`,
    );
    return rows.map((row) => row && outputOf(row));
  }

  /**
   * The first row for each key (owner, options key, third value): on SQLite `single` (`?` for the key's
   * values) once per key, one after another; on PostgreSQL one statement, `lateral` (the key's values as
   * `k.owner`, `k.options_key`, `k.value`, ending in LIMIT 1) an index probe per key. It is planned on
   * each call, at the tables' size then: `sources` and `outputs` start empty and grow with every image,
   * and a prepared statement's plan, made while they were small, scanned them whole for each key until
   * the next ANALYZE (at a million queued images, most of the server's time). A call reads a claim's or
   * a turn's keys: its planning is a fraction of one probe per key.
   */
  private readMany<T>(
    keys: Array<[string, string, string]>,
    single: string,
    lateral: string,
  ): Promise<Array<T | undefined>> {
    return this.unitOfWork.read(async (tx) => {
      if (!this.config.database.isPostgres) {
        const answers: Array<T | undefined> = [];
        for (const key of keys) answers.push((await execute<T>(tx.manager, single, key)).records[0]);
        return answers;
      }
      const { records } = await execute<Numbered<T>>(
        tx.manager,
        `SELECT k.position, r.* FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]))
            WITH ORDINALITY AS k(owner, options_key, value, position)
          CROSS JOIN LATERAL (${lateral}) r`,
        [0, 1, 2].map((column) => keys.map((key) => key[column])),
      );
      const answers: Array<T | undefined> = keys.map(() => undefined);
      // Each row as it came (its `position` unread beyond here): a copy without it, by rest, took new
      // hidden classes per row on Node 20 (see docs/performance.md, hidden classes).
      for (const row of records) answers[Number(row.position) - 1] ??= row;
      return answers;
    });
  }
}
