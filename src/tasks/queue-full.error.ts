import { TooManyRequestsError } from '../common/errors/too-many-requests.error.js';

/**
 * An upload or a retry would put the caller over MAX_QUEUED_IMAGES_PER_KEY unfinished images. Retry once
 * some of them are done (answered with Retry-After).
 */
export class QueueFullError extends TooManyRequestsError {
  constructor(unfinished: number, newImages: number, limit: number) {
    const message = `queueing ${newImages} more image(s) would put ${unfinished + newImages} of yours in the queue, more than the ${limit} allowed (MAX_QUEUED_IMAGES_PER_KEY); nothing was queued: retry when some are done`;
    super(message, {
      problems: [{ row: null, column: null, message: 'too many images queued' }],
      retryAfterSeconds: 60,
    });
  }
}
