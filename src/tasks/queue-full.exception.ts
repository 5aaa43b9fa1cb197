import { HttpException } from '@nestjs/common';

/**
 * 429: an upload or a retry would put the caller over MAX_QUEUED_IMAGES_PER_KEY unfinished images. Retry
 * once some of them are done (the filter sends Retry-After).
 */
export class QueueFullException extends HttpException {
  readonly retryAfterSeconds = 60;

  constructor(unfinished: number, newImages: number, limit: number) {
    const message = `queueing ${newImages} more image(s) would put ${unfinished + newImages} of yours in the queue, more than the ${limit} allowed (MAX_QUEUED_IMAGES_PER_KEY); nothing was queued: retry when some are done`;
    super({ message, errors: [{ row: null, column: null, message: 'too many images queued' }] }, 429);
  }
}
