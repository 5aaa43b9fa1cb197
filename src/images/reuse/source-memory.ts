import { Injectable } from '@nestjs/common';
import type { Validators } from '../../http/safe-http-client.js';
import { executePrepared } from '../../database/sql.js';
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
    ...(row.renditions && { renditions: JSON.parse(row.renditions) as StoredRendition[] }),
  };
}

/**
 * The reads a worker makes to reuse an owner's earlier outputs (`sources`, `outputs`), each one probe of
 * a primary key or index. Only outputs some image still names (refs > 0) are found; one whose last
 * image goes meanwhile is caught when the reuse is recorded (ReuseLedger.holdLive).
 */
@Injectable()
export class SourceMemory {
  constructor(private readonly unitOfWork: UnitOfWork) {}

  /** Before the download: the owner's last import of this URL with these options, if its output remains. */
  async recall(owner: string, optionsKey: string, urlKey: string): Promise<RecalledSource | undefined> {
    const [row] = await this.read<
      OutputRow & { etag: string | null; lastModified: string | null; finalUrl: string | null }
    >(
      `SELECT s.etag, s.last_modified AS "lastModified", s.final_url AS "finalUrl", ${OUTPUT_COLUMNS}
         FROM sources s JOIN outputs o ON o.output_key = s.output_key
        WHERE s.owner = ? AND s.options_key = ? AND s.url_sha256 = ? AND o.refs > 0`,
      [owner, optionsKey, urlKey],
    );
    if (!row) return undefined;
    return {
      validators: { etag: row.etag, lastModified: row.lastModified },
      finalUrl: row.finalUrl,
      output: outputOf(row),
    };
  }

  /** After a download: an output of the owner's, made with these options from the same bytes. */
  async withContent(
    owner: string,
    optionsKey: string,
    contentSha256: string,
  ): Promise<RememberedOutput | undefined> {
    const [row] = await this.read<OutputRow>(
      `SELECT ${OUTPUT_COLUMNS} FROM outputs o
        WHERE o.owner = ? AND o.options_key = ? AND o.content_sha256 = ? AND o.refs > 0 LIMIT 1`,
      [owner, optionsKey, contentSha256],
    );
    return row && outputOf(row);
  }

  /** One read, outside any transaction on PostgreSQL (a prepared statement); queued with the others on SQLite. */
  private read<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    return this.unitOfWork.runStatements(
      async (tx) => (await executePrepared<T>(tx.manager, sql, parameters)).records,
    );
  }
}
