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
  /** Each rendition, in the order asked for; absent without renditions. */
  renditions?: StoredRendition[];
}

/** How a leased image ended. */
export type ImageOutcome =
  | { kind: 'done'; image: ClaimedImage; result: ImageResult }
  | { kind: 'failed'; image: ClaimedImage; failure: ImageFailure; inputBytes: number | null };

/** A finished image as its UPDATE returns it (PostgreSQL returns its BIGINT byte counts as strings). */
export interface FinishedImage {
  id: string;
  taskId: string;
  status: 'done' | 'failed';
  inputBytes: number | string | null;
  outputBytes: number | string | null;
}

/** The RETURNING clause of the statements that finish images, as FinishedImage. */
export const RETURNING_FINISHED =
  'RETURNING id, task_id AS "taskId", status, input_bytes AS "inputBytes", output_bytes AS "outputBytes"';
