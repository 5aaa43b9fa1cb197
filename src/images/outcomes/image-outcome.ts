import type { Validators } from '../../http/safe-http-client.js';
import type { ImageReuse } from '../image.entity.js';
import type { ClaimedImage, ImageFailure } from '../queue/image-queue.js';
import type { StoredRendition } from '../renditions/stored-rendition.js';

/** What a done image's processing produced. */
export interface ImageResult {
  /** With renditions: the first one's. */
  outputKey: string;
  inputBytes: number;
  /** With renditions: all of theirs. */
  outputBytes: number;
  outputQuality: number;
  /** The measured similarity, for quality=auto; else null. */
  outputScore: number | null;
  /** Each rendition, in the order asked for; undefined without renditions. */
  renditions?: StoredRendition[];
}

/**
 * A done image's result: its output, as stored or remembered, and the bytes downloaded. Each property is
 * named in one object literal: `{ ...output, inputBytes }` took new hidden classes for every image on
 * Node 20 (see docs/performance.md, hidden classes).
 */
export function imageResult(output: Omit<ImageResult, 'inputBytes'>, inputBytes: number): ImageResult {
  return {
    outputKey: output.outputKey,
    inputBytes,
    outputBytes: output.outputBytes,
    outputQuality: output.outputQuality,
    outputScore: output.outputScore,
    renditions: output.renditions,
  };
}

/** A done image's source as its owner's next import of it finds it (see SourceMemory). */
export interface SourceVersion {
  /** See optionsKeyOf and urlKeyOf. */
  optionsKey: string;
  urlKey: string;
  /** As the source last answered. */
  validators: Validators;
  /** The URL that answered with them: the download's last hop. */
  finalUrl: string;
  /** The SHA-256 of the bytes downloaded; null when the source answered 304 (none were). */
  contentSha256: string | null;
}

/**
 * How a leased image ended. `done`: processed (its `source`, when given, is remembered with its output);
 * `reused`: done with an earlier output of its owner's (`result` copies it), recorded only while that
 * output is still named by some image (else the recorder answers `output_gone`).
 */
export type ImageOutcome =
  | { kind: 'done'; image: ClaimedImage; result: ImageResult; source?: SourceVersion }
  | { kind: 'reused'; image: ClaimedImage; result: ImageResult; how: ImageReuse; source: SourceVersion }
  | { kind: 'failed'; image: ClaimedImage; failure: ImageFailure; inputBytes: number | null };

/** An outcome that ends an image done (processed or reused). */
export type DoneOutcome = Extract<ImageOutcome, { kind: 'done' | 'reused' }>;

/** An outcome that ends an image failed. */
export type FailedOutcome = Extract<ImageOutcome, { kind: 'failed' }>;

/** A finished image as its UPDATE returns it (PostgreSQL returns its BIGINT byte counts as strings). */
export interface FinishedImage {
  id: string;
  taskId: string;
  status: 'done' | 'failed';
  inputBytes: number | string | null;
  outputBytes: number | string | null;
  reused: ImageReuse | null;
  /**
   * PostgreSQL, for an image a worker finished: whether duplicates of it wait for its outcome, read by
   * the statement that finished it (so the batch needs no statement of its own to look: nearly every
   * image has none). Absent: not known (SQLite, where looking costs no round trip).
   */
  waitingDuplicates?: boolean;
}

/** The RETURNING clause of the statements that finish images, as FinishedImage. */
export const RETURNING_FINISHED =
  'RETURNING id, task_id AS "taskId", status, input_bytes AS "inputBytes", output_bytes AS "outputBytes", reused';

/** RETURNING_FINISHED for images a worker finished: on PostgreSQL with `waitingDuplicates` (one probe of their index). */
export function returningFinishedOriginals(isPostgres: boolean): string {
  if (!isPostgres) return RETURNING_FINISHED;
  return `${RETURNING_FINISHED}, EXISTS (SELECT 1 FROM images d
    WHERE d.duplicate_of = images.id AND d.duplicate_of IS NOT NULL AND d.status = 'queued') AS "waitingDuplicates"`;
}
